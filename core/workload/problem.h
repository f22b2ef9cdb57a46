// The shape of one layer as the cost model sees it: Timeloop's CNN-Layer plus a group dimension G, so that
// depthwise and grouped convolutions are modelled as themselves rather than as dense convolutions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace bitloop
{

// Problem dimensions. Weights[G,M,C,R,S], Inputs[N,G,C,H,W], Outputs[N,G,M,P,Q]; W follows R and P
// (Wstride, Wdilation), H follows S and Q (Hstride, Hdilation), as in Timeloop's CNN-Layer.
enum class Dim : uint8_t { N, G, C, M, R, S, P, Q };
constexpr int kNumDims = 8;
constexpr std::array<Dim, kNumDims> kAllDims = {Dim::N, Dim::G, Dim::C, Dim::M,
                                                Dim::R, Dim::S, Dim::P, Dim::Q};

enum class Tensor : uint8_t { Weights, Inputs, Outputs };
constexpr int kNumTensors = 3;
constexpr std::array<Tensor, kNumTensors> kAllTensors = {Tensor::Weights, Tensor::Inputs, Tensor::Outputs};

inline int idx(Dim d)
{
    return static_cast<int>(d);
}
inline int idx(Tensor t)
{
    return static_cast<int>(t);
}
char dimLetter(Dim d);
bool dimFromLetter(char c, Dim &out);
const char *tensorName(Tensor t);
bool tensorFromName(const std::string &name, Tensor &out);

// Whether a dimension indexes a tensor (changes which elements of it are touched).
bool isRelevant(Tensor t, Dim d);

using DimArray = std::array<int64_t, kNumDims>;

struct ProblemShape {
    DimArray bounds{1, 1, 1, 1, 1, 1, 1, 1};
    int wstride = 1, hstride = 1;     // stride along W (with P) and H (with Q)
    int wdilation = 1, hdilation = 1; // dilation along W (with R) and H (with S)
    int wpad = 0, hpad = 0;           // zero padding; only changes the nominal input size

    int64_t bound(Dim d) const { return bounds[idx(d)]; }
    int64_t &bound(Dim d) { return bounds[idx(d)]; }
    int64_t macs() const;
    // Elements of each tensor. Inputs count the halo of the sliding window (what the loops touch).
    int64_t tensorSize(Tensor t) const;
    int64_t inputWidth() const;  // (P-1)*Wstride + (R-1)*Wdilation + 1
    int64_t inputHeight() const; // (Q-1)*Hstride + (S-1)*Hdilation + 1
    // Whether every count the model forms from the shape (MACs, each tensor's elements with the halo,
    // and those times a bit-width of up to 64) fits in 64 bits: all of them at most kMaxCount, and every
    // bound, stride and dilation positive. Readers refuse a shape that fails this.
    bool countsFit() const;
    static constexpr int64_t kMaxCount = int64_t(1) << 56;
    bool operator==(const ProblemShape &o) const;
};

// A layer's gene: the widths of its weights and of its input activations (its outputs are the next
// layer's input activations).
struct LayerBits {
    int weights = 16;
    int activations = 16;
    bool operator==(const LayerBits &o) const { return weights == o.weights && activations == o.activations; }
    bool operator!=(const LayerBits &o) const { return !(*this == o); }
};
// One LayerBits per layer, in the network's order.
using BitConfig = std::vector<LayerBits>;

// Per-tensor operand widths in bits for one layer.
struct BitWidths {
    std::array<int, kNumTensors> bits{16, 16, 16};
    int of(Tensor t) const { return bits[idx(t)]; }
    int &of(Tensor t) { return bits[idx(t)]; }
    static BitWidths uniform(int b) { return BitWidths{{b, b, b}}; }
    bool operator==(const BitWidths &o) const { return bits == o.bits; }
};

} // namespace bitloop
