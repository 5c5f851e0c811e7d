import CSpoolEngine

/// The images of a loader and their annotations, built in Swift and held by the engine: classes per image
/// (classification), or objects with boxes and polygons (detection, segmentation).
public final class Dataset {
    let handle: OpaquePointer
    public let task: EngineTask
    public let numClasses: Int

    private init(handle: OpaquePointer, task: EngineTask, numClasses: Int) {
        self.handle = handle
        self.task = task
        self.numClasses = numClasses
    }

    public init(task: EngineTask, numClasses: Int) throws(EngineError) {
        try EngineRuntime.checkABI()
        var out: OpaquePointer?
        try check(spool_dataset_create(task.rawValue, Int32(clamping: numClasses), &out), "spool_dataset_create")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_dataset_create") }
        self.handle = out
        self.task = task
        self.numClasses = numClasses
    }

    deinit { spool_dataset_free(handle) }

    /// Adds an image; returns its index.
    @discardableResult
    public func addImage(_ path: String) throws(EngineError) -> Int {
        var index: Int64 = 0
        try check(spool_dataset_add_image(handle, path, &index), "spool_dataset_add_image")
        return Int(index)
    }

    /// A class of an image (once for multiclass, once per positive label for multilabel).
    public func addClass(image: Int, classID: Int) throws(EngineError) {
        try check(spool_dataset_add_class(handle, Int64(image), Int32(clamping: classID)), "spool_dataset_add_class")
    }

    /// An object with its box normalised to the image (x1, y1, x2, y2 in [0, 1]); returns its index.
    @discardableResult
    public func addObject(image: Int, classID: Int, box: [Float], crowd: Bool = false) throws(EngineError) -> Int {
        guard box.count == 4 else { throw EngineError(status: SPOOL_ERR_INVALID_ARGUMENT, operation: "addObject: a box has 4 numbers") }
        var object: Int64 = 0
        let status = box.withUnsafeBufferPointer {
            spool_dataset_add_object(handle, Int64(image), Int32(clamping: classID), $0.baseAddress, crowd ? 1 : 0, &object)
        }
        try check(status, "spool_dataset_add_object")
        return Int(object)
    }

    /// One part of an object's polygon: x, y pairs normalised to the image.
    public func addPolygon(image: Int, object: Int, xy: [Float]) throws(EngineError) {
        let status = xy.withUnsafeBufferPointer {
            spool_dataset_add_polygon(handle, Int64(image), Int64(object), $0.baseAddress, Int32(clamping: xy.count / 2))
        }
        try check(status, "spool_dataset_add_polygon")
    }

    /// Tiled detection: a dataset of views, each image whole and then its `columns` x `rows` tiles overlapping by
    /// `overlap`. Trained on, every view is a sample; predicted over, each image's views are merged by per-class
    /// NMS at `nmsThreshold` (keeping `maxDetections`), one prediction per image.
    public func tiled(columns: Int, rows: Int, overlap: Double, nmsThreshold: Double, maxDetections: Int) throws(EngineError) -> Dataset {
        var out: OpaquePointer?
        try check(spool_dataset_tile(handle, Int32(clamping: columns), Int32(clamping: rows), overlap, nmsThreshold,
                                     Int32(clamping: maxDetections), &out), "spool_dataset_tile")
        guard let out else { throw EngineError(status: SPOOL_ERR_INTERNAL, operation: "spool_dataset_tile") }
        return Dataset(handle: out, task: task, numClasses: numClasses)
    }

    public var count: Int {
        var n: Int64 = 0
        _ = spool_dataset_size(handle, &n)
        return Int(n)
    }
}
