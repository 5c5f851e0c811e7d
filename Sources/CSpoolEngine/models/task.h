// task.h — the four tasks of the specification, without libtorch: the loader (data/, OpenCV only) and the models
// both name them.
#pragma once

namespace spool {

/// The four tasks of the specification (the C ABI's spool_task values).
enum class Task { multiclass = 0, multilabel = 1, detection = 2, segmentation = 3 };

inline bool is_classification(Task task) { return task == Task::multiclass || task == Task::multilabel; }

}  // namespace spool
