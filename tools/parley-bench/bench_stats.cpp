#include "bench_stats.hpp"

#include <algorithm>
#include <cmath>

namespace parley::bench {

namespace {

double rank(const std::vector<uint32_t>& sorted, double q) {
  auto n = sorted.size();
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  i = std::clamp<size_t>(i, 1, n);
  return sorted[i - 1];
}

} // namespace

void merge(worker_samples& into, const worker_samples& other) {
  auto append = [](std::vector<uint32_t>& to, const std::vector<uint32_t>& v) {
    to.insert(to.end(), v.begin(), v.end());
  };
  append(into.delivery_us, other.delivery_us);
  append(into.reply_us, other.reply_us);
  append(into.last_member_us, other.last_member_us);
  for (auto& [code, n] : other.errors)
    into.errors[code] += n;
}

latency_summary summarize(std::vector<uint32_t>& samples) {
  latency_summary s;
  s.count = samples.size();
  if (samples.empty())
    return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.p50 = rank(samples, 0.50);
  s.p90 = rank(samples, 0.90);
  s.p99 = rank(samples, 0.99);
  s.p999 = rank(samples, 0.999);
  s.max = samples.back();
  double sum = 0;
  for (auto v : samples)
    sum += v;
  s.mean = sum / static_cast<double>(samples.size());
  return s;
}

} // namespace parley::bench
