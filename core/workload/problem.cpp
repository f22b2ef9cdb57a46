#include "workload/problem.h"

#include "util/checked.h"

namespace bitloop
{

char dimLetter(Dim d)
{
    static const char letters[kNumDims] = {'N', 'G', 'C', 'M', 'R', 'S', 'P', 'Q'};
    return letters[idx(d)];
}

bool dimFromLetter(char c, Dim &out)
{
    for (Dim d : kAllDims) {
        if (dimLetter(d) == c) {
            out = d;
            return true;
        }
    }
    return false;
}

const char *tensorName(Tensor t)
{
    switch (t) {
    case Tensor::Weights:
        return "Weights";
    case Tensor::Inputs:
        return "Inputs";
    case Tensor::Outputs:
        return "Outputs";
    }
    return "?";
}

bool tensorFromName(const std::string &name, Tensor &out)
{
    for (Tensor t : kAllTensors) {
        if (name == tensorName(t)) {
            out = t;
            return true;
        }
    }
    return false;
}

bool isRelevant(Tensor t, Dim d)
{
    switch (t) {
    case Tensor::Weights:
        return d == Dim::G || d == Dim::M || d == Dim::C || d == Dim::R || d == Dim::S;
    case Tensor::Inputs:
        // M is the only dimension an input does not depend on: W is indexed by P and R, H by Q and S.
        return d != Dim::M;
    case Tensor::Outputs:
        return d == Dim::N || d == Dim::G || d == Dim::M || d == Dim::P || d == Dim::Q;
    }
    return false;
}

int64_t ProblemShape::macs() const
{
    int64_t product = 1;
    for (int64_t b : bounds)
        product *= b;
    return product;
}

int64_t ProblemShape::inputWidth() const
{
    return (bound(Dim::P) - 1) * wstride + (bound(Dim::R) - 1) * wdilation + 1;
}

int64_t ProblemShape::inputHeight() const
{
    return (bound(Dim::Q) - 1) * hstride + (bound(Dim::S) - 1) * hdilation + 1;
}

int64_t ProblemShape::tensorSize(Tensor t) const
{
    switch (t) {
    case Tensor::Weights:
        return bound(Dim::G) * bound(Dim::M) * bound(Dim::C) * bound(Dim::R) * bound(Dim::S);
    case Tensor::Inputs:
        return bound(Dim::N) * bound(Dim::G) * bound(Dim::C) * inputHeight() * inputWidth();
    case Tensor::Outputs:
        return bound(Dim::N) * bound(Dim::G) * bound(Dim::M) * bound(Dim::P) * bound(Dim::Q);
    }
    return 0;
}

bool ProblemShape::countsFit() const
{
    for (int64_t b : bounds)
        if (b < 1)
            return false;
    if (wstride < 1 || hstride < 1 || wdilation < 1 || hdilation < 1)
        return false;
    CheckedSize c(kMaxCount);
    int64_t macs = 1;
    for (int64_t b : bounds)
        macs = c.mul(macs, b);
    const int64_t w = c.add(c.add(c.mul(bound(Dim::P) - 1, wstride), c.mul(bound(Dim::R) - 1, wdilation)), 1);
    const int64_t h = c.add(c.add(c.mul(bound(Dim::Q) - 1, hstride), c.mul(bound(Dim::S) - 1, hdilation)), 1);
    c.mul(c.mul(c.mul(c.mul(bound(Dim::N), bound(Dim::G)), bound(Dim::C)), h), w);
    c.mul(c.mul(c.mul(c.mul(bound(Dim::G), bound(Dim::M)), bound(Dim::C)), bound(Dim::R)), bound(Dim::S));
    c.mul(c.mul(c.mul(c.mul(bound(Dim::N), bound(Dim::G)), bound(Dim::M)), bound(Dim::P)), bound(Dim::Q));
    return c.ok();
}

bool ProblemShape::operator==(const ProblemShape &o) const
{
    return bounds == o.bounds && wstride == o.wstride && hstride == o.hstride && wdilation == o.wdilation &&
           hdilation == o.hdilation && wpad == o.wpad && hpad == o.hpad;
}

} // namespace bitloop
