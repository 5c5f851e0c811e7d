/// How converters turn pixels into Azure's fractions and back, so that conversions are deterministic
/// and a round trip (COCO -> JSONL -> COCO -> JSONL) gives the same JSONL bytes.
///
/// Fractions are rounded to 12 decimal places: a millionth of a pixel even on a 100,000-pixel image,
/// and short, stable numbers in the JSONL. Going back, a pixel value is written with at most 6 decimals
/// when that value gives the same fraction again (it does for the integer or few-decimal pixels that
/// real annotations have), else exactly as computed; either way the fraction survives the round trip.
public enum CoordinateRounding {
    /// `pixels / size`, rounded to 12 decimal places.
    public static func fraction(_ pixels: Double, of size: Double) -> Double {
        ((pixels / size) * 1e12).rounded() / 1e12
    }

    /// The pixel value of `fraction` on an axis of `size` pixels: the 6-decimal value when it maps back
    /// to `fraction`, else the exact product.
    public static func pixels(_ fraction: Double, of size: Double) -> Double {
        let exact = fraction * size
        let short = (exact * 1e6).rounded() / 1e6
        return Self.fraction(short, of: size) == Self.fraction(exact, of: size) ? short : exact
    }

    /// A length in pixels from `start` (already in pixels) to `endFraction`, written short when
    /// `start + length` maps back to `endFraction`'s fraction: COCO's `[x, y, width, height]`.
    public static func length(from start: Double, toFraction endFraction: Double, of size: Double) -> Double {
        let exact = endFraction * size - start
        let short = (exact * 1e6).rounded() / 1e6
        return fraction(start + short, of: size) == fraction(start + exact, of: size) ? short : exact
    }
}
