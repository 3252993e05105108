#include "responder/metrics.h"

#include <cstdio>
#include <string_view>

namespace pkirepo::responder {
namespace {

void bump(std::atomic<uint64_t>& c, uint64_t by = 1) {
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

void append_double(std::string& out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

// The HELP and TYPE lines that precede a metric's samples.
void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// A gauge with one sample and no labels.
void append_gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  append_header(out, name, "gauge", help);
  out.append(name).append(" ");
  append_double(out, value);
  out += '\n';
}

}  // namespace

const char* abuse_event_name(AbuseEvent e) {
  switch (e) {
    case AbuseEvent::head_timeout:
      return "head_timeout";
    case AbuseEvent::body_timeout:
      return "body_timeout";
    case AbuseEvent::shed:
      return "shed";
    case AbuseEvent::per_source_refused:
      return "per_source";
    case AbuseEvent::nonce_rate_limited:
      return "rate_limited";
    case AbuseEvent::count_:
      break;
  }
  return "?";
}

void Metrics::Block::record(Route route, Outcome outcome, uint64_t latency_ns) {
  bump(requests[static_cast<size_t>(route)][static_cast<size_t>(outcome)]);
  size_t b = 0;
  const double seconds = static_cast<double>(latency_ns) * 1e-9;
  while (b < kLatencyBounds.size() && seconds > kLatencyBounds[b]) {
    ++b;
  }
  bump(latency_buckets[b]);
  bump(latency_sum_ns, latency_ns);
}

Metrics::Block& Metrics::new_block() {
  std::lock_guard lock(mutex_);
  return blocks_.emplace_back();
}

uint64_t Metrics::count(Route route, Outcome outcome) const {
  std::lock_guard lock(mutex_);
  uint64_t n = 0;
  for (const Block& b : blocks_) {
    n += b.requests[static_cast<size_t>(route)][static_cast<size_t>(outcome)].load(
        std::memory_order_relaxed);
  }
  return n;
}

void Metrics::render(const Gauges& g, std::string& out) const {
  constexpr size_t kRoutes = static_cast<size_t>(Route::count_);
  constexpr size_t kOutcomes = static_cast<size_t>(Outcome::count_);
  std::array<std::array<uint64_t, kOutcomes>, kRoutes> req{};
  std::array<uint64_t, kLatencyBounds.size() + 1> buckets{};
  uint64_t sum_ns = 0;
  {
    std::lock_guard lock(mutex_);
    for (const Block& b : blocks_) {
      for (size_t r = 0; r < kRoutes; ++r) {
        for (size_t o = 0; o < kOutcomes; ++o) {
          req[r][o] += b.requests[r][o].load(std::memory_order_relaxed);
        }
      }
      for (size_t i = 0; i < buckets.size(); ++i) {
        buckets[i] += b.latency_buckets[i].load(std::memory_order_relaxed);
      }
      sum_ns += b.latency_sum_ns.load(std::memory_order_relaxed);
    }
  }
  append_header(out, "pkirepo_responder_requests_total", "counter",
                "Requests by route and outcome.");
  uint64_t stale = 0;
  for (size_t r = 0; r < kRoutes; ++r) {
    for (size_t o = 0; o < kOutcomes; ++o) {
      if (static_cast<Outcome>(o) == Outcome::stale) {
        stale += req[r][o];
      }
      if (req[r][o] == 0) {
        continue;
      }
      out += "pkirepo_responder_requests_total{route=\"";
      out += route_name(static_cast<Route>(r));
      out += "\",outcome=\"";
      out += outcome_name(static_cast<Outcome>(o));
      out += "\"} ";
      out += std::to_string(req[r][o]);
      out += '\n';
    }
  }
  append_header(out, "pkirepo_responder_stale_total", "counter",
                "OCSP requests answered tryLater because the stored response's nextUpdate had "
                "passed.");
  out += "pkirepo_responder_stale_total " + std::to_string(stale) + "\n";

  append_header(out, "pkirepo_responder_request_duration_seconds", "histogram",
                "Time from request to queued response.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    out += "pkirepo_responder_request_duration_seconds_bucket{le=\"";
    if (i < kLatencyBounds.size()) {
      append_double(out, kLatencyBounds[i]);
    } else {
      out += "+Inf";
    }
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "pkirepo_responder_request_duration_seconds_sum ";
  append_double(out, static_cast<double>(sum_ns) * 1e-9);
  out += "\npkirepo_responder_request_duration_seconds_count " + std::to_string(cumulative) + "\n";

  append_gauge(out, "pkirepo_responder_store_age_seconds",
               "Seconds since the last signer run (-1: none recorded).", g.store_age_seconds);
  append_header(out, "pkirepo_responder_store_records", "gauge",
                "Pre-signed objects in the store at the last scan.");
  out += "pkirepo_responder_store_records{kind=\"ocsp\"} " + std::to_string(g.ocsp_records) + "\n";
  out += "pkirepo_responder_store_records{kind=\"crl\"} " + std::to_string(g.crl_records) + "\n";
  append_header(out, "pkirepo_responder_expired_ocsp_records", "gauge",
                "OCSP records of expired certificates, served until they run out and judged by "
                "no freshness check.");
  out += "pkirepo_responder_expired_ocsp_records " + std::to_string(g.expired_ocsp_records) + "\n";
  append_header(out, "pkirepo_responder_stale_records", "gauge",
                "Stored objects that must be fresh and are past their nextUpdate at the last "
                "scan.");
  out += "pkirepo_responder_stale_records " + std::to_string(g.records_past_next_update) + "\n";
  append_gauge(out, "pkirepo_responder_earliest_next_update_seconds",
               "Seconds until the earliest nextUpdate among the objects that must be fresh "
               "(negative: passed).",
               g.seconds_to_earliest_next_update);
  append_header(out, "pkirepo_responder_connections_closed_total", "counter",
                "Connections the abuse limits closed: request head or body past its deadline, or "
                "waiting for a head while the connections were at the soft cap.");
  for (AbuseEvent e : {AbuseEvent::head_timeout, AbuseEvent::body_timeout, AbuseEvent::shed}) {
    out += std::string("pkirepo_responder_connections_closed_total{reason=\"") +
           abuse_event_name(e) + "\"} " + std::to_string(count(e)) + "\n";
  }
  append_header(out, "pkirepo_responder_connections_refused_total", "counter",
                "Connections refused because their IPv4 address or IPv6 /64 held "
                "responder.per_ip_connections.");
  out += "pkirepo_responder_connections_refused_total{reason=\"per_source\"} " +
         std::to_string(count(AbuseEvent::per_source_refused)) + "\n";
  append_gauge(out, "pkirepo_responder_open_connections", "Connections open now.",
               static_cast<double>(open_connections_.load(std::memory_order_relaxed)));
  append_header(out, "pkirepo_responder_nonce_refused_total", "counter",
                "OCSP requests with a nonce answered with the pre-signed response (no nonce) "
                "because their source was over responder.nonce_rate.");
  out += "pkirepo_responder_nonce_refused_total{reason=\"rate_limited\"} " +
         std::to_string(count(AbuseEvent::nonce_rate_limited)) + "\n";
  append_header(out, "pkirepo_responder_store_scanned", "gauge",
                "1 once the store has been scanned.");
  out += std::string("pkirepo_responder_store_scanned ") + (g.scanned ? "1" : "0") + "\n";
}

}  // namespace pkirepo::responder
