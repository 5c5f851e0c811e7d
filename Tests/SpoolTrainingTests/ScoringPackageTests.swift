import Foundation
import SpoolTraining
import Testing

/// score.py's `spool_scoring` package: its Python unit tests (Tests/ScoringPackageTests, with Debian's python3
/// and torch) and its lint (ruff, installed by the test command), both from the README's test command.
@Suite struct ScoringPackageTests {
    static let scoring = TrainingSupport.repository.appendingPathComponent("Sources/SpoolTraining/Resources/scoring")

    @Test func itsUnitTestsPass() throws {
        let out = try TrainingSupport.run(URL(fileURLWithPath: TrainingSupport.debianPython),
                                          ["-m", "unittest", "discover", "-s",
                                           TrainingSupport.repository.appendingPathComponent("Tests/ScoringPackageTests").path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("OK"), "\(out.stderr)")
    }

    @Test func itIsLinted() throws {
        let ruff = TrainingSupport.repository.appendingPathComponent(".venv-test/bin/ruff")
        guard FileManager.default.isExecutableFile(atPath: ruff.path) else {
            throw TestFailure("ruff is not installed: run scripts/test.sh (it installs ruff into .venv-test)")
        }
        let out = try TrainingSupport.run(ruff, ["check", "--isolated", "--select", "E,F,W,B,I", "--ignore", "B905",
                                                 "--line-length", "120", Self.scoring.path,
                                                 TrainingSupport.repository.appendingPathComponent("Tests/ScoringPackageTests").path])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
    }

    @Test func theBuildShipsWhatTheRepositoryHolds() throws {
        let shipped = try ScoringScript.sourceFolder()
        for name in ["score.py", "spool_scoring/detection.py", "spool_scoring/classification.py"] {
            let a = try Data(contentsOf: shipped.appendingPathComponent(name))
            let b = try Data(contentsOf: Self.scoring.appendingPathComponent(name))
            #expect(a == b, "\(name) differs between the build's resources and the repository")
        }
    }
}
