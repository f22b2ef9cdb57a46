#include "search/hypervolume.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>

namespace bitloop::search
{

namespace
{

using Points = std::vector<std::vector<double>>;

// Points strictly better than the reference in every coordinate; the others enclose no volume.
Points inside(const Points &points, const std::vector<double> &ref)
{
    Points kept;
    kept.reserve(points.size());
    for (const auto &p : points) {
        bool in = true;
        for (size_t d = 0; d < ref.size() && in; ++d)
            in = p[d] < ref[d];
        if (in)
            kept.push_back(p);
    }
    return kept;
}

// Sorts by coordinate d, ties by the other coordinates, so the result never depends on the input order.
void sortBy(Points &pts, size_t d)
{
    std::sort(pts.begin(), pts.end(), [d](const std::vector<double> &a, const std::vector<double> &b) {
        if (a[d] != b[d])
            return a[d] < b[d];
        return a < b;
    });
}

double area2d(Points pts, double rx, double ry)
{
    sortBy(pts, 0);
    double area = 0, lastY = ry;
    for (const auto &p : pts)
        if (p[1] < lastY) {
            area += (rx - p[0]) * (lastY - p[1]);
            lastY = p[1];
        }
    return area;
}

// The 2-D staircase of mutually non-dominated points (x increasing, y decreasing) and the area it
// dominates up to (rx, ry).
class Staircase
{
public:
    Staircase(double rx, double ry) : rx_(rx), ry_(ry) {}
    double area() const { return area_; }

    void insert(double x, double y)
    {
        auto it = steps_.lower_bound(x);
        if (it != steps_.end() && it->first == x && it->second <= y)
            return; // dominated by a point at the same x
        if (it != steps_.begin() && std::prev(it)->second <= y)
            return; // dominated by a point to the left
        // Walk right over the points the new one dominates; over each stretch the new point lowers the
        // covered y from the old level to y.
        double level = it != steps_.begin() ? std::prev(it)->second : ry_;
        double from = x;
        while (it != steps_.end() && it->second >= y) {
            area_ += (it->first - from) * (level - y);
            from = it->first;
            level = it->second;
            it = steps_.erase(it);
        }
        const double to = it != steps_.end() ? it->first : rx_;
        area_ += (to - from) * (level - y);
        steps_.emplace_hint(it, x, y);
    }

private:
    std::map<double, double> steps_;
    double rx_, ry_, area_ = 0;
};

double volume3d(Points pts, const std::vector<double> &ref)
{
    sortBy(pts, 2);
    Staircase stairs(ref[0], ref[1]);
    double volume = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        stairs.insert(pts[i][0], pts[i][1]);
        const double nextZ = i + 1 < pts.size() ? pts[i + 1][2] : ref[2];
        volume += stairs.area() * (nextZ - pts[i][2]);
    }
    return volume;
}

double volume(Points pts, const std::vector<double> &ref)
{
    const size_t dims = ref.size();
    if (pts.empty())
        return 0;
    if (dims == 1) {
        double best = ref[0];
        for (const auto &p : pts)
            best = std::min(best, p[0]);
        return ref[0] - best;
    }
    if (dims == 2)
        return area2d(std::move(pts), ref[0], ref[1]);
    if (dims == 3)
        return volume3d(std::move(pts), ref);
    // Slab between consecutive values of the last coordinate: the (M-1)-D volume of the points below it.
    const size_t last = dims - 1;
    sortBy(pts, last);
    const std::vector<double> subRef(ref.begin(), ref.end() - 1);
    Points projected;
    double total = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
        projected.emplace_back(pts[i].begin(), pts[i].end() - 1);
        const double next = i + 1 < pts.size() ? pts[i + 1][last] : ref[last];
        if (next > pts[i][last])
            total += volume(projected, subRef) * (next - pts[i][last]);
    }
    return total;
}

} // namespace

double hypervolume(const std::vector<std::vector<double>> &points, const std::vector<double> &reference)
{
    if (reference.empty())
        throw std::invalid_argument("hypervolume: empty reference point");
    for (size_t i = 0; i < points.size(); ++i)
        if (points[i].size() != reference.size())
            throw std::invalid_argument("hypervolume: point " + std::to_string(i) + " has " +
                                        std::to_string(points[i].size()) + " coordinates, the reference " +
                                        std::to_string(reference.size()));
    return volume(inside(points, reference), reference);
}

} // namespace bitloop::search
