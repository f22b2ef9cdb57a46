// Built-in MobileNetV1 (Howard et al. 2017) and MobileNetV2 (Sandler et al. 2018) layer lists: every
// convolution and the classifier, in order, depthwise layers as depthwise.
#pragma once

#include "workload/layer.h"

namespace bitloop
{

struct MobileNetOptions {
    double widthMultiplier = 1.0;
    int resolution = 224;
    int numClasses = 1000;
    int inputChannels = 3;
    // Small-input variant for 28-32 pixel images: the first stride-2 stages run at stride 1.
    bool smallInput = false;
};

Network mobileNetV1(const MobileNetOptions &opt = {});
Network mobileNetV2(const MobileNetOptions &opt = {});
// "mobilenet_v1" / "mobilenet_v2" (also "mobilenetv1", "v1" ...); false when the name is not built in.
bool builtinNetwork(const std::string &name, const MobileNetOptions &opt, Network &out);

} // namespace bitloop
