import SpoolCore
import SpoolEngine
import Testing

/// The two model tables (Swift's `ModelCatalog`, the engine's C++ registry) name the same models with the same
/// task, family, reference library and reference architecture: adding a model to one side only fails here.
@Suite struct CatalogAgreementTests {
    @Test func theEngineBuildsExactlyTheAvailableModels() throws {
        let engine = try EngineRuntime.catalog()
        let swift = ModelCatalog.entries.filter(\.available)
        let expected = swift.flatMap(\.engineModels)
        #expect(engine.map(\.name) == expected, "engine \(engine.map(\.name)), Swift \(expected)")
        for entry in swift {
            for name in entry.engineModels {
                let row = try #require(engine.first { $0.name == name }, "\(name) missing from the engine")
                #expect(row.tasks == entry.tasks.rawValue, "\(name): tasks \(row.tasks) vs \(entry.tasks.rawValue)")
                #expect(row.family == entry.family, "\(name): family \(row.family) vs \(entry.family)")
                #expect(row.library == entry.library, "\(name): library \(row.library) vs \(entry.library)")
                // yolov5's sizes are Ultralytics' yolov5s ... yolov5x.
                let architecture = entry.name == .yolov5 ? name : entry.architecture
                #expect(row.architecture == architecture, "\(name): architecture \(row.architecture) vs \(architecture)")
            }
        }
    }
}
