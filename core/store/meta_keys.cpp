#include "store/meta_keys.h"

#include <cstdio>

namespace pkirepo::store::meta {
namespace {

std::string per_ca(std::string_view prefix, std::string_view ca_id) {
  std::string name(prefix);
  name += ca_id;
  return name;
}

std::string per_shard(std::string_view prefix, std::string_view ca_id, int shard) {
  return per_ca(prefix, ca_id) + "/" + std::to_string(shard);
}

}  // namespace

std::string crl_number(std::string_view ca_id, int shard) {
  return per_shard("crl_number/", ca_id, shard);
}

std::string crl_set(std::string_view ca_id, int shard) {
  return per_shard("crl_set/", ca_id, shard);
}

std::string run_ca_state(std::string_view ca_id) {
  return per_ca("run/ca/", ca_id);
}

std::string run_ocsp_progress(std::string_view ca_id) {
  return per_ca("run/ocsp_progress/", ca_id);
}

std::string ocsp_tail(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ocsp_tail/%016llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace pkirepo::store::meta
