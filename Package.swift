// swift-tools-version:6.0
//
// Spool: self-hosted AutoML for images. The folder tree is the architecture (docs/architecture.md):
//   spoolctl (light: never links libtorch) -> SpoolCommands -> SpoolCore
//   spool-trainer (the only executable with libtorch) -> SpoolTrainerCommands -> SpoolTraining
//       -> SpoolEngine (Swift owner of every handle) -> CSpoolEngine (C ABI over C++/libtorch)
import Foundation
import PackageDescription

// The engine builds against Debian's libtorch-dev by default. Point SPOOL_LIBTORCH at another libtorch
// (a CUDA libtorch, or a pip torch's folder holding include/ and lib/) to build against it instead.
let env = ProcessInfo.processInfo.environment
let customTorch = env["SPOOL_LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 }

var engineCxx: [CXXSetting] = [
    .headerSearchPath("."),
    .headerSearchPath("include-opencv"),
    .define("SPOOL_ENGINE_BUILD"),
    // The engine's own loops (augmentation, batching) run optimised even in debug builds; libtorch is prebuilt.
    .unsafeFlags(["-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"]),
]
var engineLink: [LinkerSetting] = [
    .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
    .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgcodecs"), .linkedLibrary("opencv_imgproc"),
]
if let torch = customTorch {
    engineCxx.append(.unsafeFlags(["-I\(torch)/include", "-I\(torch)/include/torch/csrc/api/include"]))
    engineLink.append(.unsafeFlags(["-L\(torch)/lib", "-Wl,-rpath,\(torch)/lib"]))
    if FileManager.default.fileExists(atPath: "\(torch)/lib/libtorch_cuda.so") {
        engineLink.append(.unsafeFlags(["-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed"]))
    }
} else {
    engineCxx.append(.headerSearchPath("include-torch-api"))
}

let package = Package(
    name: "spool",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "spoolctl", targets: ["spoolctl"]),
        .executable(name: "spool-trainer", targets: ["spool-trainer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // SHA-256 of drops and weight files (already built for Hummingbird's TLS stack).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"6.0.0"),
        // The daemon's services in one group: ordered start, reverse stop, SIGTERM as graceful shutdown (Hummingbird's too).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages), each a module map and a tiny shim.h.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CInotifyTools", path: "Sources/CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),

        // Linux calls Swift's Glibc module lacks (prctl).
        .target(name: "CSpoolSystem"),
        // C++ on libtorch behind the C ABI in include/spool_engine.h.
        .target(
            name: "CSpoolEngine",
            exclude: ["CMakeLists.txt"],
            cxxSettings: engineCxx,
            linkerSettings: engineLink
        ),

        // Pure Swift: settings, hyperparameters and defaults, datasets, metrics, schedules. No I/O beyond files.
        .target(name: "SpoolCore", dependencies: [
            .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
        ]),
        // The spool's intake: safe unpacking (libarchive), the drop watcher (inotify), bundle validation.
        .target(name: "SpoolIngest", dependencies: [
            "SpoolCore", "CArchive", "CInotifyTools", .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The queue in SQLite (GRDB): jobs, trials, per-epoch metrics, leases, migrations.
        .target(name: "SpoolStore", dependencies: ["SpoolCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // Sweeps: samplers (grid, random, Bayesian TPE) and early-termination policies. Pure values, no I/O.
        .target(name: "SpoolSweep", dependencies: ["SpoolCore"]),
        // The daemon's services: intake, scheduler, trial supervisor (child processes), outbox.
        .target(name: "SpoolRunner", dependencies: [
            "SpoolCore", "SpoolIngest", "SpoolStore", "SpoolSweep", .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // The Swift owner of engine handles: typed errors, no C types in its API.
        .target(name: "SpoolEngine", dependencies: ["CSpoolEngine"]),
        // One training run: data split, loaders, epochs, schedules, early stopping, checkpoints, metrics.
        .target(name: "SpoolTraining", dependencies: [
            "SpoolCore", "SpoolEngine", .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),  // the resume checkpoints' hashes
        ], resources: [.copy("Resources/scoring")]),
        // The scoring server (Hummingbird): a model behind HTTP, in spool-trainer's process.
        .target(name: "SpoolServer", dependencies: [
            "SpoolTraining", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Commands. SpoolArguments: what both executables parse (argument structs, the entry point), light.
        // SpoolCommands (spoolctl's, with the daemon) never links libtorch; engine commands run in spool-trainer,
        // which links neither the daemon nor its libraries (GRDB, libarchive, inotify).
        .target(name: "SpoolArguments", dependencies: [
            "SpoolCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "SpoolCommands", dependencies: [
            "SpoolArguments", "SpoolCore", "SpoolRunner", "SpoolStore", "SpoolIngest", "CSQLite", "CArchive",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SpoolTrainerCommands", dependencies: [
            "SpoolArguments", "SpoolTraining", "SpoolEngine", "SpoolServer", "CSpoolSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "spoolctl", dependencies: ["SpoolCommands", "SpoolArguments"]),
        .executableTarget(name: "spool-trainer", dependencies: ["SpoolTrainerCommands", "SpoolArguments"]),
        // The engine's check through its C ABI alone (the GPU machine builds it with the engine's CMake).
        // A C program links with clang, not clang++: the C++ runtime and libm are named.
        .executableTarget(name: "spool-engine-driver", dependencies: ["CSpoolEngine"],
                          linkerSettings: [.linkedLibrary("stdc++"), .linkedLibrary("m")]),

        .testTarget(name: "SpoolCoreTests", dependencies: ["SpoolCore"]),
        .testTarget(name: "SpoolEngineTests", dependencies: ["SpoolEngine", "SpoolCore"]),
        .testTarget(name: "SpoolIngestTests", dependencies: ["SpoolIngest", "SpoolCore", "CArchive"]),
        .testTarget(name: "SpoolSweepTests", dependencies: ["SpoolSweep", "SpoolCore"]),
        .testTarget(name: "SpoolStoreTests", dependencies: ["SpoolStore", "SpoolCore"]),
        .testTarget(name: "SpoolRunnerTests", dependencies: ["SpoolRunner", "SpoolStore", "SpoolIngest", "SpoolCore", "SpoolArguments"]),
        // Every command's help at 80 columns, "did you mean" on a misspelt command, completion, scripts/install.sh.
        .testTarget(name: "SpoolCommandTests", dependencies: [
            "SpoolCommands", "SpoolTrainerCommands", "SpoolArguments", "SpoolCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], resources: [.copy("ExpectedHelp")]),
        .testTarget(name: "SpoolTrainingTests", dependencies: [
            "SpoolTraining", "SpoolCore", "SpoolEngine", .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ],
    cxxLanguageStandard: .cxx17
)
