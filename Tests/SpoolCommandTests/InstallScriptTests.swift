import Foundation
import SpoolCommands
import Testing

/// scripts/install.sh from the debug build into a temporary prefix: binaries with what the trainer reads,
/// completion for three shells, man pages made from the help, and the systemd unit pointing at the prefix.
@Suite struct InstallScriptTests {
    typealias Support = CommandTestSupport

    @Test func installsIntoAPrefix() throws {
        let fm = FileManager.default
        let prefix = fm.temporaryDirectory.appendingPathComponent("spool-install-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: prefix) }
        let script = Support.repository.appendingPathComponent("scripts/install.sh")
        let install = try Support.run(script, ["--prefix", prefix.path, "--build-dir", Support.bin.path])
        #expect(install.status == 0, "\(install.stdout)\n\(install.stderr)")

        let bin = prefix.appendingPathComponent("bin")
        for tool in ["spoolctl", "spool-trainer"] {
            #expect(fm.isExecutableFile(atPath: bin.appendingPathComponent(tool).path), "\(tool)")
        }
        // Every SwiftPM resource bundle of the commands sits beside the binaries (spool-trainer's scoring
        // files), none of the tests'.
        let bundles = try fm.contentsOfDirectory(atPath: Support.bin.path).filter { $0.hasSuffix(".resources") }
        #expect(bundles.contains("spool_SpoolTraining.resources") && bundles.contains("spool_SpoolCommandTests.resources"))
        for bundle in bundles {
            #expect(fm.fileExists(atPath: bin.appendingPathComponent(bundle).path) == !bundle.hasSuffix("Tests.resources"),
                    "\(bundle)")
        }

        // The installed spoolctl runs the installed spool-trainer (found beside it, not on PATH).
        let example = prefix.appendingPathComponent("example")
        let run = try Support.run(bin.appendingPathComponent("spoolctl"),
                                  ["example", "--out", example.path, "--per-class", "2", "--size", "16"],
                                  environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fm.fileExists(atPath: example.appendingPathComponent("settings.yaml").path))

        let share = prefix.appendingPathComponent("share")
        let bash = try String(contentsOf: share.appendingPathComponent("bash-completion/completions/spoolctl"), encoding: .utf8)
        #expect(bash == Spoolctl.completionScript(for: .bash) + "\n")
        let zsh = try String(contentsOf: share.appendingPathComponent("zsh/site-functions/_spoolctl"), encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef spoolctl"))
        let fish = try String(contentsOf: share.appendingPathComponent("fish/vendor_completions.d/spoolctl.fish"), encoding: .utf8)
        #expect(fish.contains("spoolctl") && fish.contains("submit"))

        let man = try String(contentsOf: share.appendingPathComponent("man/man1/spoolctl.1"), encoding: .utf8)
        #expect(man.contains(".Dt SPOOLCTL 1"), "\(man.prefix(400))")
        for command in ["serve", "submit", "status", "convert", "weights", "doctor"] {
            #expect(man.contains(command), "the man page lacks \(command)")
        }
        #expect(man.contains("spoolctl submit my-bundle --wait"), "the man page lacks submit's example")
        let trainerMan = share.appendingPathComponent("man/man1/spool-trainer.1")
        #expect(fm.fileExists(atPath: trainerMan.path))

        let unit = try String(contentsOf: prefix.appendingPathComponent("lib/systemd/system/spool.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=\(bin.path)/spoolctl serve --weights-dir /var/lib/spool/weights\n"))
        #expect(unit.contains("Environment=SPOOL_ROOT=/var/lib/spool\n"))
        #expect(unit.contains("Restart=on-failure\n") && unit.contains("KillSignal=SIGTERM\n"))
        #expect(!unit.contains("/usr/local/bin"))
    }

    @Test func refusesUnknownArguments() throws {
        let script = Support.repository.appendingPathComponent("scripts/install.sh")
        let run = try Support.run(script, ["--prefx", "/tmp/x"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("unknown argument '--prefx'"))
    }
}
