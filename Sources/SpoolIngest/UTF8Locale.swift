#if canImport(Glibc)
import Glibc
#endif

/// Runs libarchive calls under a UTF-8 `LC_CTYPE` on this thread only (uselocale(3)).
///
/// libarchive converts entry names to the current locale's charset. A daemon started without `LANG` runs in
/// the "C" locale, where every non-ASCII name (UTF-8 in pax headers and in zips) fails to convert: libarchive
/// warns and hands back raw bytes. Under C.UTF-8 names arrive as UTF-8 without a warning. uselocale changes
/// only the calling thread, so nothing else in the process sees it; the old locale is restored afterwards.
enum UTF8Locale {
    /// glibc's built-in C.UTF-8 (Debian 12, glibc 2.36), or nil where there is none (then nothing changes).
    nonisolated(unsafe) private static let locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    static func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard let locale else { return try body() }
        let previous = uselocale(locale)
        defer { _ = uselocale(previous) }
        return try body()
    }
}
