import ArgumentParser
import SpoolCore

/// `--tile-grid COLSxROWS|none`: tiled inference for a detector, switched on or off whatever model.json says.
public struct TileGridOption: ParsableArguments {
    @Option(name: .customLong("tile-grid"), help: ArgumentHelp(
        "Detection: also score the tiles of a COLSxROWS grid and merge (small objects); 'none' for whole images only. Default: model.json's tile_grid_size.",
        valueName: "COLSxROWS"))
    public var text: String?

    public init() {}

    /// nil: keep model.json's setting; .some(nil): whole images only; .some(grid): this grid.
    public var override: TrainingParameters.TileGrid?? {
        guard let text else { return nil }
        return .some(text == "none" ? nil : TrainingParameters.TileGrid(text: text))
    }

    public func validate() throws {
        if let text, text != "none", TrainingParameters.TileGrid(text: text) == nil {
            throw ValidationError("--tile-grid \(text): expected COLSxROWS such as 3x2, or none")
        }
    }
}
