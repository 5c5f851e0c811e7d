// sample.h — what a dataset holds per image, for every task: the file, and its classes (classification)
// or its objects (detection: boxes; segmentation: boxes and polygons). Coordinates are normalised to [0, 1],
// as Azure's JSONL gives them; transforms turn them into pixels once the image is decoded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spool {

struct ObjectAnnotation {
    int64_t label = 0;           // class id, from 0
    float box[4] = {0, 0, 0, 0};  // x1, y1, x2, y2, normalised
    bool crowd = false;
    std::vector<std::vector<float>> polygons;  // segmentation: parts of [x1, y1, x2, y2, ...], normalised
};

/// A view of an image for tiled detection (spec section 5): the whole image (cols == 0), or tile (col, row)
/// of a cols x rows grid whose neighbours overlap by `overlap` of a tile's side.
struct TileView {
    int cols = 0, rows = 0, col = 0, row = 0;
    float overlap = 0;
};

struct Sample {
    std::string path;
    TileView tile;
    int64_t source = -1;  // in a tiled dataset: the index of the image this view is of
    std::vector<int64_t> classes;          // multiclass: one; multilabel: the positives
    std::vector<ObjectAnnotation> objects;  // detection, segmentation
};

struct Dataset {
    int task = 0;  // Task
    int64_t num_classes = 0;
    std::vector<Sample> samples;
    /// A tiled dataset: its views' detections are merged per image by per-class NMS at this IoU (> 0).
    float tile_nms_thresh = 0;
    int64_t tile_max_detections = 100;  // kept per image after the merge
    int64_t source_count = 0;           // images before tiling
};

}  // namespace spool
