@testable import SpoolCommands
import Testing

/// `spoolctl doctor`'s text: every key whole, however long (the engine adds keys the column was not made for).
@Suite struct DoctorOutputTests {
    @Test func everyKeyIsPrintedWholeInOneColumn() {
        let report = ["openblas_num_threads": "1", "cores": "2", "blas_kernels": "SkylakeX",
                      "torch_num_interop_threads_with_a_longer_name": "1"]
        let lines = Spoolctl.Doctor.lines(report)
        #expect(lines.count == report.count)
        for (line, key) in zip(lines, report.keys.sorted()) {
            #expect(line.hasPrefix(key + " "), "\(line)")
            #expect(line.hasSuffix(" " + report[key]!), "\(line)")
        }
        let valueColumns = Set(lines.map { line in line.count - line.reversed().prefix { $0 != " " }.count })
        #expect(valueColumns.count == 1, "\(lines)")
    }
}
