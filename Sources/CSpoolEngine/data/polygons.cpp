#include "data/polygons.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace spool {

namespace {
constexpr int kShift = 8;  // fillPoly's fractional bits: sub-pixel vertices
}

void rasterize_polygons(const std::vector<std::vector<float>>& parts, int height, int width, uint8_t* mask) {
    cv::Mat image(height, width, CV_8UC1, mask);
    for (const auto& part : parts) {
        if (part.size() < 6) continue;
        std::vector<cv::Point> points;
        points.reserve(part.size() / 2);
        for (size_t k = 0; k + 1 < part.size(); k += 2)
            points.emplace_back(static_cast<int>(std::lround((part[k] - 0.5f) * (1 << kShift))),
                                static_cast<int>(std::lround((part[k + 1] - 0.5f) * (1 << kShift))));
        // One part at a time: overlapping parts are a union, never holes (fillPoly alternates on crossings).
        const cv::Point* data = points.data();
        const int count = static_cast<int>(points.size());
        cv::fillPoly(image, &data, &count, 1, cv::Scalar(1), cv::LINE_8, kShift);
    }
}

std::vector<std::vector<float>> mask_to_polygons(const uint8_t* mask, int height, int width, int max_points) {
    std::vector<std::vector<float>> out;
    if (height <= 0 || width <= 0) return out;
    cv::Mat image(height, width, CV_8UC1, const_cast<uint8_t*>(mask));
    cv::Mat binary = image != 0;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    // Larger regions first (a stable order for outputs and tests).
    std::stable_sort(contours.begin(), contours.end(),
                     [](const auto& a, const auto& b) { return std::fabs(cv::contourArea(a)) > std::fabs(cv::contourArea(b)); });
    const int limit = std::max(3, max_points);
    for (const auto& contour : contours) {
        std::vector<cv::Point> points = contour;
        double epsilon = 0.5;
        while (static_cast<int>(points.size()) > limit) {
            std::vector<cv::Point> simpler;
            cv::approxPolyDP(contour, simpler, epsilon, /*closed=*/true);
            if (simpler.size() < 3) {
                // Too coarse to be a polygon: `limit` of the last outline's points, evenly spaced, instead.
                std::vector<cv::Point> spaced;
                for (int i = 0; i < limit; ++i) spaced.push_back(points[static_cast<size_t>(i) * points.size() / static_cast<size_t>(limit)]);
                points = std::move(spaced);
                break;
            }
            points = std::move(simpler);
            epsilon *= 2;
        }
        if (points.size() < 3) continue;
        std::vector<float> flat;
        flat.reserve(points.size() * 2);
        for (const auto& p : points) {
            flat.push_back(static_cast<float>(p.x) + 0.5f);
            flat.push_back(static_cast<float>(p.y) + 0.5f);
        }
        out.push_back(std::move(flat));
    }
    return out;
}

}  // namespace spool
