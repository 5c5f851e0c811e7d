import SpoolCore
import SpoolEngine
import Testing

/// The two model tables (Swift's `ModelCatalog`, the engine's C++ registry) name the same models with the same
/// task, family, reference library and reference architecture: adding a model to one side only fails here.
@Suite struct CatalogAgreementTests {
    @Test func theEngineBuildsExactlyTheAvailableModels() throws {
        let engine = try EngineRuntime.catalog()
        let swift = ModelCatalog.entries.filter(\.available)
        #expect(engine.map(\.name) == swift.map(\.name.rawValue), "engine \(engine.map(\.name)), Swift \(swift.map(\.name.rawValue))")
        for entry in swift {
            let row = try #require(engine.first { $0.name == entry.name.rawValue }, "\(entry.name) missing from the engine")
            #expect(row.tasks == entry.tasks.rawValue, "\(entry.name): tasks \(row.tasks) vs \(entry.tasks.rawValue)")
            #expect(row.family == entry.family, "\(entry.name): family \(row.family) vs \(entry.family)")
            #expect(row.library == entry.library, "\(entry.name): library \(row.library) vs \(entry.library)")
            #expect(row.architecture == entry.architecture, "\(entry.name): architecture \(row.architecture) vs \(entry.architecture)")
        }
    }
}
