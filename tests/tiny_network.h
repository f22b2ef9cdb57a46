// A four-layer network (conv, depthwise, pointwise, fc) whose every layer the mapper maps in
// milliseconds: the search, CLI and GUI tests run whole searches on it.
#pragma once

inline const char *kTinyNetworkYaml = R"(network: tiny
layers:
  - {name: conv1, type: conv, in_channels: 3, out_channels: 8, kernel: 3, stride: 1, padding: 1, input: 8}
  - {name: dw2, type: depthwise, channels: 8, kernel: 3, padding: 1, input: 8}
  - {name: pw2, type: pointwise, in_channels: 8, out_channels: 16, input: 8}
  - {name: fc, type: fc, in_features: 16, out_features: 10}
)";
