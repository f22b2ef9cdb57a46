// A minimal streaming JSON writer: enough for the CLI's --json reports and exports, with correct string
// escaping and round-trippable doubles.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace bitloop
{

// The shortest decimal text (at most 17 significant digits) that reads back as exactly v: 0.9117, not
// the 0.91169999999999995 that %.17g prints for the same double; whole numbers below 10^15 as integers.
std::string shortestDouble(double v);

class JsonWriter
{
public:
    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    JsonWriter &key(const std::string &k);
    JsonWriter &value(const std::string &s);
    JsonWriter &value(const char *s) { return value(std::string(s)); }
    JsonWriter &value(double d);
    JsonWriter &value(int64_t i);
    JsonWriter &value(int i) { return value(static_cast<int64_t>(i)); }
    JsonWriter &value(bool b);
    JsonWriter &null();
    template <typename T> JsonWriter &field(const std::string &k, const T &v) { return key(k).value(v); }
    std::string str() const { return out_.str(); }

private:
    void separate();
    std::ostringstream out_;
    std::vector<bool> first_; // per open container: no element written yet
    bool afterKey_ = false;
};

std::string jsonEscape(const std::string &s);

} // namespace bitloop
