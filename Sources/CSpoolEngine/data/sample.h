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

struct Sample {
    std::string path;
    std::vector<int64_t> classes;          // multiclass: one; multilabel: the positives
    std::vector<ObjectAnnotation> objects;  // detection, segmentation
};

struct Dataset {
    int task = 0;  // Task
    int64_t num_classes = 0;
    std::vector<Sample> samples;
};

}  // namespace spool
