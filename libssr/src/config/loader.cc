// SPDX-License-Identifier: Apache-2.0
// Config validation (parsing and file reading: config/parse.cc).
//
// Validation runs in passes so that references resolve whatever the order of the lists:
//   1. names of every list are indexed (first occurrence wins; later duplicates are errors);
//   2. keys, security policies, routers/interfaces, tenants, services are checked field by field;
//   3. references across lists (peers, service routes, members) are resolved;
//   4. whole-config rules (member overlap, service overlap, peer reciprocity) run last.
// Every problem is recorded and checking goes on, so the user sees all errors in one run. The
// model is returned only when no error was found.
#include "config/loader.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "config/key_derivation.h"
#include "util/strings.h"

namespace ssr::config {

namespace {

using util::IpAddress;
using util::IpPrefix;

constexpr uint32_t kMaxTimeoutSeconds = 604800;
constexpr uint32_t kMinWaypointPorts = 256;
constexpr uint32_t kMaxNatKeepAliveSeconds = 3600;
constexpr uint32_t kMinLimitSessions = 1024;
constexpr uint32_t kMaxLimitSessions = 1u << 24;
// Hex of the longest key (64 bytes) is 128 digits; the rest is room for whitespace.
constexpr std::uintmax_t kMaxKeyFileBytes = 4096;

// Values from the config are quoted and C-escaped so that an error message is always one line
// and shows exactly what was written.
std::string Quote(std::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(absl::string_view(s.data(), s.size())), "\"");
}

std::string Idx(absl::string_view list, size_t i) { return absl::StrCat(list, "[", i, "]"); }
std::string Field(absl::string_view parent, absl::string_view name) {
  return absl::StrCat(parent, ".", name);
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (s[0] == '-' || s[0] == '_') return false;
  return std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsValidDottedName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (absl::string_view label : absl::StrSplit(absl::string_view(s.data(), s.size()), '.')) {
    if (!IsValidName(std::string_view(label.data(), label.size()))) return false;
  }
  return true;
}

bool IsValidInterfaceName(std::string_view s) {
  // Linux: at most IFNAMSIZ-1 = 15 bytes, no '/', ':' or whitespace, not "." or "..".
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s) {
    if (c == '/' || c == ':' || absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

constexpr absl::string_view kNameRule =
    "1-63 characters from [a-z0-9_-], starting with a letter or digit";
constexpr absl::string_view kDottedNameRule =
    "labels of 1-63 characters from [a-z0-9_-] joined by '.', at most 255 characters";

class Builder {
 public:
  Builder(const v1::Config& proto, const LoadOptions& options) : p_(proto), options_(options) {}

  ValidationResult Run() {
    auto config = std::make_shared<Config>();
    c_ = config.get();
    c_->organization = p_.organization();
    IndexNames();
    CheckKeys();
    CheckSecurityPolicies();
    CheckRouters();
    CheckTenants();
    CheckServices();
    CheckRouterReferences();
    CheckMemberOverlaps();
    CheckServiceOverlaps();
    CheckTimeouts();
    CheckLimits();
    ValidationResult result;
    result.errors = errors_.Take();
    if (result.errors.empty()) {
      c_->BuildIndexes();
      result.config = std::move(config);
    }
    return result;
  }

 private:
  void Error(std::string path, std::string message,
             absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    errors_.Add(std::move(path), std::move(message), code);
  }

  // ---- name indexes ---------------------------------------------------------------------------

  // Indexes the names of one list; reports bad names and duplicates. First occurrence wins.
  template <typename Repeated>
  void IndexList(const Repeated& items, absl::string_view list, bool dotted,
                 absl::flat_hash_map<std::string, size_t>* index) {
    for (int i = 0; i < items.size(); ++i) {
      const std::string& name = items[i].name();
      const std::string path = Field(Idx(list, static_cast<size_t>(i)), "name");
      if (dotted ? !IsValidDottedName(name) : !IsValidName(name)) {
        Error(path, absl::StrCat(Quote(name), " is not a valid name (",
                                 dotted ? kDottedNameRule : kNameRule, ")"));
      }
      auto [it, inserted] = index->emplace(name, static_cast<size_t>(i));
      // A missing name is reported once above, not again as a duplicate of another missing name.
      if (!inserted && !name.empty()) {
        Error(path, absl::StrCat(Quote(name), " is already used by ", Idx(list, it->second)),
              absl::StatusCode::kAlreadyExists);
      }
    }
  }

  void IndexNames() {
    IndexList(p_.keys(), "keys", false, &keys_);
    IndexList(p_.security_policies(), "security_policies", false, &policies_);
    IndexList(p_.routers(), "routers", false, &routers_);
    IndexList(p_.tenants(), "tenants", true, &tenants_);
    IndexList(p_.services(), "services", true, &services_);
  }

  static std::optional<size_t> Lookup(const absl::flat_hash_map<std::string, size_t>& index,
                                      const std::string& name) {
    auto it = index.find(name);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }

  // ---- shared field parsers -------------------------------------------------------------------

  std::optional<IpAddress> ParseAddress(const std::string& text, const std::string& path) {
    std::optional<IpAddress> a = IpAddress::Parse(text);
    if (!a) Error(path, absl::StrCat(Quote(text), " is not a valid IP address"));
    return a;
  }

  std::optional<IpPrefix> ParsePrefix(const std::string& text, const std::string& path) {
    IpPrefix::ParseError why = IpPrefix::ParseError::kNone;
    std::optional<IpPrefix> prefix = IpPrefix::Parse(text, &why);
    if (prefix) return prefix;
    const std::string_view view(text);
    const size_t slash = view.find('/');
    std::optional<IpAddress> addr =
        IpAddress::Parse(slash == std::string_view::npos ? view : view.substr(0, slash));
    const std::string family = addr ? (addr->is_v4() ? "IPv4 " : "IPv6 ") : "";
    switch (why) {
      case IpPrefix::ParseError::kMissingLength:
        Error(path, absl::StrCat(Quote(text), " is not a valid ", family,
                                 "prefix (missing \"/length\")"));
        break;
      case IpPrefix::ParseError::kBadAddress:
      case IpPrefix::ParseError::kNone:
        Error(path, absl::StrCat(Quote(text),
                                 " is not a valid prefix (expected address/length, e.g. "
                                 "\"10.1.0.0/16\" or \"2001:db8::/32\")"));
        break;
      case IpPrefix::ParseError::kBadLength:
        Error(path, absl::StrCat(Quote(text), " is not a valid ", family,
                                 "prefix (length must be 0-", addr ? addr->bit_width() : 128,
                                 ")"));
        break;
      case IpPrefix::ParseError::kHostBitsSet: {
        int length = 0;
        if (!absl::SimpleAtoi(absl::string_view(view.substr(slash + 1).data(),
                                                view.size() - slash - 1),
                              &length)) {
          length = 0;
        }
        Error(path, absl::StrCat(Quote(text), " is not a valid ", family,
                                 "prefix (host bits are set; the network is \"",
                                 IpPrefix(addr->Masked(length), length).ToString(), "\")"));
        break;
      }
    }
    return std::nullopt;
  }

  // A range as written in messages: "443" for a single port, "400-500" otherwise.
  static std::string ShowPorts(uint32_t first, uint32_t last) {
    return first == last ? absl::StrCat(first) : absl::StrCat(first, "-", last);
  }

  // Checks a PortRange and returns it normalised (end 0 means a single port).
  std::optional<PortRange> ParsePortRange(const v1::PortRange& r, const std::string& path) {
    const uint32_t start = r.start();
    const uint32_t end = r.end() == 0 ? r.start() : r.end();
    const std::string shown = ShowPorts(start, end);
    if (start == 0 || start > 65535 || end > 65535) {
      Error(path, absl::StrCat(shown, " is not a valid port range (ports are 1-65535)"));
      return std::nullopt;
    }
    if (start > end) {
      Error(path, absl::StrCat(shown, " is not a valid port range (start exceeds end)"));
      return std::nullopt;
    }
    return PortRange{static_cast<uint16_t>(start), static_cast<uint16_t>(end)};
  }

  // ---- keys -----------------------------------------------------------------------------------

  // Key values never appear in messages: only the path, the key name and sizes.
  std::optional<std::vector<uint8_t>> DecodeHex(std::string_view text, const std::string& path,
                                                absl::string_view what) {
    if (text.empty()) {
      Error(path, absl::StrCat(what, " is empty"));
      return std::nullopt;
    }
    const auto is_hex = [](char ch) { return absl::ascii_isxdigit(static_cast<unsigned char>(ch)); };
    if (!std::all_of(text.begin(), text.end(), is_hex)) {
      Error(path, absl::StrCat(what,
                               " is not valid hexadecimal (only the digits 0-9, a-f and A-F are "
                               "allowed; the value is not shown)"));
      return std::nullopt;
    }
    if (text.size() % 2 != 0) {
      Error(path, absl::StrCat(what, " has an odd number of hexadecimal digits (", text.size(),
                               "; two digits per byte are expected)"));
      return std::nullopt;
    }
    std::string bytes = absl::HexStringToBytes(absl::string_view(text.data(), text.size()));
    std::vector<uint8_t> out(bytes.begin(), bytes.end());
    std::fill(bytes.begin(), bytes.end(), '\0');
    return out;
  }

  void CheckKeys() {
    c_->keys.resize(static_cast<size_t>(p_.keys_size()));
    absl::flat_hash_map<uint32_t, size_t> ids;
    // Pass 1: ids and literal material; derived keys wait until their masters are known.
    for (int i = 0; i < p_.keys_size(); ++i) {
      const v1::Key& k = p_.keys(i);
      const size_t idx = static_cast<size_t>(i);
      const std::string path = Idx("keys", idx);
      Key& key = c_->keys[idx];
      key.name = k.name();
      key.id = k.id();
      if (k.id() == 0) {
        Error(Field(path, "id"), "0 is not a valid key id (1-4294967295)");
      } else {
        auto [it, inserted] = ids.emplace(k.id(), idx);
        if (!inserted) {
          Error(Field(path, "id"),
                absl::StrCat(k.id(), " is already used by key ", Quote(p_.keys(static_cast<int>(
                                                                        it->second)).name()),
                             " (", Idx("keys", it->second), ")"),
                absl::StatusCode::kAlreadyExists);
        }
      }
      switch (k.source_case()) {
        case v1::Key::kHex: {
          auto bytes = DecodeHex(k.hex(), Field(path, "hex"), "the key");
          if (bytes) key.material = SecretBytes(std::move(*bytes));
          break;
        }
        case v1::Key::kFile:
          LoadKeyFile(k.file(), Field(path, "file"), &key);
          break;
        case v1::Key::kDerive:
          break;
        case v1::Key::SOURCE_NOT_SET:
          Error(path, "one of hex, file or derive is required");
          break;
      }
    }
    // Pass 2: derivations.
    for (int i = 0; i < p_.keys_size(); ++i) {
      const v1::Key& k = p_.keys(i);
      if (k.source_case() != v1::Key::kDerive) continue;
      const std::string path = Field(Idx("keys", static_cast<size_t>(i)), "derive");
      const v1::Key::Derivation& d = k.derive();
      bool ok = true;
      const uint32_t length = d.length() == 0 ? 32 : d.length();
      if (length < 16 || length > 64) {
        Error(Field(path, "length"), absl::StrCat(d.length(), " is out of range (16-64)"));
        ok = false;
      }
      if (d.context().empty()) {
        Error(Field(path, "context"),
              "is required (keys derived for different purposes must differ)");
        ok = false;
      }
      std::optional<size_t> master = Lookup(keys_, d.master_key());
      if (!master) {
        Error(Field(path, "master_key"), absl::StrCat(Quote(d.master_key()), " is not a defined key"));
        ok = false;
      } else if (p_.keys(static_cast<int>(*master)).source_case() == v1::Key::kDerive) {
        Error(Field(path, "master_key"),
              absl::StrCat("key ", Quote(d.master_key()),
                           " is itself derived; a master key must be given as hex or file"));
        ok = false;
      } else if (*master == static_cast<size_t>(i)) {
        ok = false;  // unreachable: a key deriving from itself is "itself derived" above
      }
      if (!ok || c_->keys[*master].material.empty()) continue;
      const std::string_view salt(kKeyDerivationSalt);
      auto derived = HkdfSha256(
          c_->keys[*master].material.bytes(),
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.data()), salt.size()),
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(d.context().data()),
                                   d.context().size()),
          length);
      if (!derived.ok()) {
        Error(path, std::string(derived.status().message()), absl::StatusCode::kInternal);
        continue;
      }
      c_->keys[static_cast<size_t>(i)].material = SecretBytes(std::move(*derived));
    }
  }

  void LoadKeyFile(const std::string& file, const std::string& path, Key* key) {
    if (file.empty()) {
      Error(path, "is empty (a file path is expected)");
      return;
    }
    std::filesystem::path fs_path(file);
    if (fs_path.is_relative() && !options_.base_dir.empty()) {
      fs_path = std::filesystem::path(options_.base_dir) / fs_path;
    }
    // A key file is small and regular: refuse devices, FIFOs and huge files, which would block
    // or exhaust memory while loading (e.g. file: "/dev/zero").
    std::error_code ec;
    const std::filesystem::file_status st = std::filesystem::status(fs_path, ec);
    if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
      Error(path, absl::StrCat(Quote(file), " is not a regular file"),
            absl::StatusCode::kFailedPrecondition);
      return;
    }
    if (const std::uintmax_t size = std::filesystem::file_size(fs_path, ec);
        !ec && size > kMaxKeyFileBytes) {
      Error(path, absl::StrCat(Quote(file), " is ", size, " bytes; a key file holds at most ",
                               kMaxKeyFileBytes, " bytes of hexadecimal text"));
      return;
    }
    absl::StatusOr<std::string> text = ReadFileToString(fs_path.string());
    if (!text.ok()) {
      // The status names the resolved path, which may hold any byte: escape it to keep one line.
      Error(path,
            absl::StrCat(Quote(file), " cannot be read: ",
                         absl::CHexEscape(text.status().message())),
            text.status().code());
      return;
    }
    std::string_view trimmed = std::string_view(*text);
    while (!trimmed.empty() && absl::ascii_isspace(static_cast<unsigned char>(trimmed.front()))) {
      trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && absl::ascii_isspace(static_cast<unsigned char>(trimmed.back()))) {
      trimmed.remove_suffix(1);
    }
    auto bytes = DecodeHex(trimmed, path, absl::StrCat("the content of ", Quote(file)));
    std::fill(text->begin(), text->end(), '\0');
    if (bytes) key->material = SecretBytes(std::move(*bytes));
  }

  // ---- security policies ------------------------------------------------------------------------

  // Resolves a list of key names; checks each key's size with `size_ok`.
  std::vector<size_t> ResolveKeys(const google::protobuf::RepeatedPtrField<std::string>& names,
                                  const std::string& path, absl::string_view what,
                                  const std::function<std::optional<std::string>(size_t)>& check) {
    std::vector<size_t> out;
    for (int j = 0; j < names.size(); ++j) {
      const std::string key_path = Idx(path, static_cast<size_t>(j));
      std::optional<size_t> k = Lookup(keys_, names[j]);
      if (!k) {
        Error(key_path, absl::StrCat(Quote(names[j]), " is not a defined key"));
        continue;
      }
      if (std::find(out.begin(), out.end(), *k) != out.end()) {
        Error(key_path, absl::StrCat("key ", Quote(names[j]), " is listed twice in ", what),
              absl::StatusCode::kAlreadyExists);
        continue;
      }
      if (!c_->keys[*k].material.empty()) {
        if (std::optional<std::string> problem = check(*k)) Error(key_path, *problem);
      }
      out.push_back(*k);
    }
    return out;
  }

  void CheckSecurityPolicies() {
    c_->security_policies.resize(static_cast<size_t>(p_.security_policies_size()));
    for (int i = 0; i < p_.security_policies_size(); ++i) {
      const v1::SecurityPolicy& sp = p_.security_policies(i);
      const std::string path = Idx("security_policies", static_cast<size_t>(i));
      SecurityPolicy& out = c_->security_policies[static_cast<size_t>(i)];
      out.name = sp.name();

      static constexpr std::pair<std::string_view, HmacAlgorithm> kHmacs[] = {
          {"", HmacAlgorithm::kSha256_128},      {"none", HmacAlgorithm::kNone},
          {"sha1", HmacAlgorithm::kSha1},        {"sha256", HmacAlgorithm::kSha256},
          {"sha256-128", HmacAlgorithm::kSha256_128}};
      bool hmac_known = false;
      for (const auto& [name, algo] : kHmacs) {
        if (sp.hmac() == name) {
          out.hmac = algo;
          hmac_known = true;
        }
      }
      if (!hmac_known) {
        Error(Field(path, "hmac"),
              absl::StrCat(Quote(sp.hmac()),
                           " is not a known HMAC algorithm (known: none, sha1, sha256, "
                           "sha256-128)"));
      }

      switch (sp.hmac_mode()) {
        case v1::SecurityPolicy::HMAC_MODE_UNSPECIFIED:
        case v1::SecurityPolicy::TIME_BASED:
          out.hmac_mode = HmacMode::kTimeBased;
          break;
        case v1::SecurityPolicy::REGULAR:
          out.hmac_mode = HmacMode::kRegular;
          break;
        default:
          Error(Field(path, "hmac_mode"),
                absl::StrCat(static_cast<int>(sp.hmac_mode()),
                             " is not a valid HMAC mode (REGULAR or TIME_BASED)"));
      }

      static constexpr std::pair<std::string_view, Cipher> kCiphers[] = {
          {"", Cipher::kAes256Cbc},           {"none", Cipher::kNone},
          {"aes-128-cbc", Cipher::kAes128Cbc}, {"aes-256-cbc", Cipher::kAes256Cbc},
          {"aes-128-gcm", Cipher::kAes128Gcm}, {"aes-256-gcm", Cipher::kAes256Gcm}};
      bool cipher_known = false;
      for (const auto& [name, cipher] : kCiphers) {
        if (sp.encryption_cipher() == name) {
          out.cipher = cipher;
          cipher_known = true;
        }
      }
      if (!cipher_known) {
        Error(Field(path, "encryption_cipher"),
              absl::StrCat(Quote(sp.encryption_cipher()),
                           " is not a known cipher (known: none, aes-128-cbc, aes-256-cbc, "
                           "aes-128-gcm, aes-256-gcm)"));
      }
      out.adaptive_encryption = sp.adaptive_encryption();

      if (hmac_known) {
        if (out.hmac == HmacAlgorithm::kNone && sp.hmac_keys_size() > 0) {
          Error(Field(path, "hmac_keys"), "must be empty when hmac is \"none\"");
        } else if (out.hmac != HmacAlgorithm::kNone && sp.hmac_keys_size() == 0) {
          Error(Field(path, "hmac_keys"),
                absl::StrCat("at least one key is required for hmac ",
                             Quote(HmacAlgorithmName(out.hmac))));
        }
      }
      // Keys listed for "none" were reported above; resolving them would only add noise.
      if (out.hmac != HmacAlgorithm::kNone) {
        out.hmac_keys = ResolveKeys(
            sp.hmac_keys(), Field(path, "hmac_keys"), "hmac_keys",
            [this](size_t k) -> std::optional<std::string> {
              const size_t n = c_->keys[k].material.size();
              if (n >= 16) return std::nullopt;
              return absl::StrCat("key ", Quote(c_->keys[k].name), " is ", n,
                                  " bytes; HMAC keys must be at least 16 bytes");
            });
      }

      if (cipher_known) {
        if (out.cipher == Cipher::kNone && sp.encryption_keys_size() > 0) {
          Error(Field(path, "encryption_keys"), "must be empty when encryption_cipher is \"none\"");
        } else if (out.cipher != Cipher::kNone && sp.encryption_keys_size() == 0) {
          Error(Field(path, "encryption_keys"),
                absl::StrCat("at least one key is required for cipher ",
                             Quote(CipherName(out.cipher))));
        }
      }
      const Cipher cipher = out.cipher;
      if (cipher != Cipher::kNone) {
        out.encryption_keys = ResolveKeys(
            sp.encryption_keys(), Field(path, "encryption_keys"), "encryption_keys",
            [this, cipher, cipher_known](size_t k) -> std::optional<std::string> {
              const size_t n = c_->keys[k].material.size();
              if (!cipher_known || n == CipherKeySize(cipher)) return std::nullopt;
              return absl::StrCat("key ", Quote(c_->keys[k].name), " is ", n, " bytes; ",
                                  util::ToAbsl(CipherName(cipher)), " needs ",
                                  CipherKeySize(cipher), " bytes");
            });
      }

      if (sp.key_rotation_overlap_seconds() > 86400) {
        Error(Field(path, "key_rotation_overlap_seconds"),
              absl::StrCat(sp.key_rotation_overlap_seconds(), " is out of range (0-86400)"));
      } else if (sp.key_rotation_overlap_seconds() != 0) {
        out.key_rotation_overlap = std::chrono::seconds(sp.key_rotation_overlap_seconds());
      }
    }
  }

  // Resolves a security policy reference; empty names are reported by the caller's rule.
  std::optional<size_t> ResolvePolicy(const std::string& name, const std::string& path) {
    std::optional<size_t> sp = Lookup(policies_, name);
    if (!sp) Error(path, absl::StrCat(Quote(name), " is not a defined security policy"));
    return sp;
  }

  // "address/length" where host bits are expected; length 1..width.
  static std::optional<InterfaceAddress> ParseInterfaceAddress(const std::string& text) {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) return std::nullopt;
    std::optional<IpAddress> addr = IpAddress::Parse(std::string_view(text).substr(0, slash));
    const std::string len_text = text.substr(slash + 1);
    int length = -1;
    if (!addr || len_text.empty() || len_text.size() > 3 ||
        !std::all_of(len_text.begin(), len_text.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        !absl::SimpleAtoi(len_text, &length) || length < 1 || length > addr->bit_width()) {
      return std::nullopt;
    }
    return InterfaceAddress{*addr, length};
  }

  // ---- routers and interfaces ---------------------------------------------------------------------

  void CheckRouters() {
    c_->routers.resize(static_cast<size_t>(p_.routers_size()));
    if (p_.routers_size() == 0) Error("routers", "at least one router is required");
    for (int r = 0; r < p_.routers_size(); ++r) {
      const v1::Router& pr = p_.routers(r);
      const std::string path = Idx("routers", static_cast<size_t>(r));
      Router& router = c_->routers[static_cast<size_t>(r)];
      router.name = pr.name();
      for (int i = 0; i < pr.interfaces_size(); ++i) {
        CheckInterface(pr.interfaces(i), Idx(Field(path, "interfaces"), static_cast<size_t>(i)),
                       &router);
      }
      CheckInterfaceSubnets(pr, path);
      for (int m = 0; m < pr.management_addresses_size(); ++m) {
        const std::string mpath = Idx(Field(path, "management_addresses"), static_cast<size_t>(m));
        if (auto a = ParseAddress(pr.management_addresses(m), mpath)) {
          router.management_addresses.push_back(*a);
        }
      }
    }
  }

  void CheckInterface(const v1::Interface& pi, const std::string& path, Router* router) {
    Interface itf;
    itf.name = pi.name();
    if (!IsValidInterfaceName(pi.name())) {
      Error(Field(path, "name"),
            absl::StrCat(Quote(pi.name()),
                         " is not a valid interface name (1-15 characters, no '/', ':' or "
                         "whitespace)"));
    } else if (router->InterfaceIndex(pi.name())) {
      Error(Field(path, "name"),
            absl::StrCat(Quote(pi.name()), " is already used by another interface of router ",
                         Quote(router->name)),
            absl::StatusCode::kAlreadyExists);
    }
    const bool role_ok = pi.role() == v1::Interface::LAN || pi.role() == v1::Interface::WAN;
    if (pi.role() == v1::Interface::ROLE_UNSPECIFIED) {
      Error(Field(path, "role"), "is required (LAN or WAN)");
    } else if (!role_ok) {
      Error(Field(path, "role"), absl::StrCat(static_cast<int>(pi.role()),
                                              " is not a valid role (LAN or WAN)"));
    }
    itf.role = pi.role() == v1::Interface::WAN ? InterfaceRole::kWan : InterfaceRole::kLan;
    for (int a = 0; a < pi.addresses_size(); ++a) {
      const std::string apath = Idx(Field(path, "addresses"), static_cast<size_t>(a));
      const std::string& text = pi.addresses(a);
      std::optional<InterfaceAddress> ia = ParseInterfaceAddress(text);
      if (!ia) {
        Error(apath, absl::StrCat(Quote(text),
                                  " is not a valid interface address (expected address/length, "
                                  "e.g. \"10.1.1.1/24\")"));
        continue;
      }
      itf.addresses.push_back(*ia);
    }
    if (role_ok && itf.role == InterfaceRole::kWan && pi.addresses_size() == 0) {
      Error(Field(path, "addresses"), "a WAN interface needs at least one address");
    }
    for (int v = 0; v < pi.vlans_size(); ++v) {
      const std::string vpath = Idx(Field(path, "vlans"), static_cast<size_t>(v));
      const uint32_t vlan = pi.vlans(v);
      if (vlan < 1 || vlan > 4094) {
        Error(vpath, absl::StrCat(vlan, " is not a valid VLAN id (1-4094)"));
      } else if (std::find(itf.vlans.begin(), itf.vlans.end(), vlan) != itf.vlans.end()) {
        Error(vpath, absl::StrCat("VLAN ", vlan, " is listed twice"),
              absl::StatusCode::kAlreadyExists);
      } else {
        itf.vlans.push_back(static_cast<uint16_t>(vlan));
      }
    }
    if (role_ok && itf.role == InterfaceRole::kWan) {
      if (pi.security_policy().empty()) {
        Error(Field(path, "security_policy"), "is required on a WAN interface");
      } else {
        itf.security_policy = ResolvePolicy(pi.security_policy(), Field(path, "security_policy"));
      }
    } else if (role_ok && !pi.security_policy().empty()) {
      Error(Field(path, "security_policy"),
            absl::StrCat(Quote(pi.security_policy()),
                         " is not allowed on a LAN interface (only WAN interfaces receive SVR "
                         "traffic)"));
    }
    if (pi.mtu() != 0 && (pi.mtu() < 1280 || pi.mtu() > 9000)) {
      Error(Field(path, "mtu"), absl::StrCat(pi.mtu(), " is out of range (1280-9000)"));
    } else if (pi.mtu() != 0) {
      itf.mtu = pi.mtu();
    }
    router->interfaces.push_back(std::move(itf));
  }

  // Reports each address whose subnet overlaps a subnet of an earlier interface of the router.
  void CheckInterfaceSubnets(const v1::Router& pr, const std::string& path) {
    struct Seen {
      InterfaceAddress address;
      int interface;
    };
    std::vector<Seen> seen;
    for (int i = 0; i < pr.interfaces_size(); ++i) {
      const auto& texts = pr.interfaces(i).addresses();
      const size_t first_of_this_interface = seen.size();
      for (int a = 0; a < texts.size(); ++a) {
        std::optional<InterfaceAddress> ia = ParseInterfaceAddress(texts[a]);
        if (!ia) continue;  // already reported by CheckInterface
        for (size_t k = 0; k < first_of_this_interface; ++k) {
          const InterfaceAddress& other = seen[k].address;
          if (!ia->subnet().Overlaps(other.subnet())) continue;
          Error(Idx(Field(Idx(Field(path, "interfaces"), static_cast<size_t>(i)), "addresses"),
                    static_cast<size_t>(a)),
                absl::StrCat(Quote(texts[a]), " overlaps ",
                             Quote(absl::StrCat(other.address.ToString(), "/",
                                                other.prefix_length)),
                             " of interface ", Quote(pr.interfaces(seen[k].interface).name())));
          break;
        }
        seen.push_back({*ia, i});
      }
    }
  }

  // ---- tenants ------------------------------------------------------------------------------------

  void CheckTenants() {
    c_->tenants.resize(static_cast<size_t>(p_.tenants_size()));
    for (int t = 0; t < p_.tenants_size(); ++t) {
      const v1::Tenant& pt = p_.tenants(t);
      const std::string path = Idx("tenants", static_cast<size_t>(t));
      Tenant& tenant = c_->tenants[static_cast<size_t>(t)];
      tenant.name = pt.name();
      tenant.description = pt.description();
      const size_t dot = pt.name().find('.');
      if (dot != std::string::npos && IsValidDottedName(pt.name())) {
        const std::string parent = pt.name().substr(dot + 1);
        tenant.parent = Lookup(tenants_, parent);
        if (!tenant.parent) {
          Error(Field(path, "name"), absl::StrCat("parent tenant ", Quote(parent), " of ",
                                                  Quote(pt.name()), " is not defined"));
        }
      }
      if (pt.members_size() == 0) {
        Error(Field(path, "members"), "at least one member is required");
      }
      for (int m = 0; m < pt.members_size(); ++m) {
        tenant.members.push_back(
            CheckMember(pt.members(m), Idx(Field(path, "members"), static_cast<size_t>(m))));
      }
    }
    for (Tenant& t : c_->tenants) {
      for (std::optional<size_t> p = t.parent; p; p = c_->tenants[*p].parent) ++t.depth;
    }
  }

  Member CheckMember(const v1::Member& pm, const std::string& path) {
    Member m;
    m.interface = pm.interface();
    std::vector<const Router*> scope;  // routers where the interface must exist
    if (!pm.router().empty()) {
      m.router = Lookup(routers_, pm.router());
      if (!m.router) {
        Error(Field(path, "router"), absl::StrCat(Quote(pm.router()), " is not a defined router"));
      } else {
        scope.push_back(&c_->routers[*m.router]);
      }
    } else {
      for (const Router& r : c_->routers) scope.push_back(&r);
    }
    std::vector<const Interface*> matched;
    if (!pm.interface().empty() && (m.router || pm.router().empty())) {
      for (const Router* r : scope) {
        if (const Interface* itf = r->FindInterface(pm.interface())) matched.push_back(itf);
      }
      if (matched.empty()) {
        Error(Field(path, "interface"),
              pm.router().empty()
                  ? absl::StrCat(Quote(pm.interface()), " is not an interface of any router")
                  : absl::StrCat(Quote(pm.interface()), " is not an interface of router ",
                                 Quote(pm.router())));
      }
      for (const Interface* itf : matched) {
        if (itf->role == InterfaceRole::kWan) {
          Error(Field(path, "interface"),
                absl::StrCat(Quote(pm.interface()),
                             " is a WAN interface; tenant members are on LAN interfaces"));
          break;
        }
      }
    }
    if (pm.vlan() > 4094) {
      Error(Field(path, "vlan"), absl::StrCat(pm.vlan(), " is not a valid VLAN id (0 for any, or 1-4094)"));
    } else {
      m.vlan = static_cast<uint16_t>(pm.vlan());
      if (m.vlan != 0) {
        for (const Interface* itf : matched) {
          if (std::find(itf->vlans.begin(), itf->vlans.end(), m.vlan) == itf->vlans.end()) {
            Error(Field(path, "vlan"),
                  absl::StrCat("VLAN ", m.vlan, " is not configured on interface ",
                               Quote(pm.interface())));
            break;
          }
        }
      }
    }
    if (pm.prefixes_size() == 0) Error(Field(path, "prefixes"), "at least one prefix is required");
    for (int i = 0; i < pm.prefixes_size(); ++i) {
      if (auto prefix =
              ParsePrefix(pm.prefixes(i), Idx(Field(path, "prefixes"), static_cast<size_t>(i)))) {
        m.prefixes.push_back(*prefix);
      }
    }
    return m;
  }

  // Two members can match the same packet when each scope field is equal or empty on one side.
  static bool ScopesMeet(const Member& a, const Member& b) {
    const bool routers = !a.router || !b.router || *a.router == *b.router;
    const bool interfaces = a.interface.empty() || b.interface.empty() || a.interface == b.interface;
    const bool vlans = a.vlan == 0 || b.vlan == 0 || a.vlan == b.vlan;
    return routers && interfaces && vlans;
  }

  std::string DescribeScope(const Member& a, const Member& b) const {
    std::vector<std::string> parts;
    std::optional<size_t> router = a.router ? a.router : b.router;
    const std::string& itf = a.interface.empty() ? b.interface : a.interface;
    const uint16_t vlan = a.vlan == 0 ? b.vlan : a.vlan;
    parts.push_back(itf.empty() ? "on every LAN interface"
                                : absl::StrCat("on interface ", Quote(itf)));
    if (router) parts.push_back(absl::StrCat("of router ", Quote(c_->routers[*router].name)));
    if (vlan != 0) parts.push_back(absl::StrCat("VLAN ", vlan));
    return absl::StrJoin(parts, " ");
  }

  void CheckMemberOverlaps() {
    struct Claim {
      size_t tenant, member, prefix_index;
      IpPrefix prefix;
    };
    std::vector<Claim> claims;
    for (size_t t = 0; t < c_->tenants.size(); ++t) {
      const v1::Tenant& pt = p_.tenants(static_cast<int>(t));
      for (size_t m = 0; m < c_->tenants[t].members.size(); ++m) {
        // A member whose router is unknown (already reported) has no known scope: comparing it as
        // "every router" would report overlaps the user never wrote.
        const v1::Member& pm = pt.members(static_cast<int>(m));
        if (!pm.router().empty() && !Lookup(routers_, pm.router())) continue;
        // Map parsed prefixes back to their proto index (invalid ones were skipped).
        const auto& texts = pm.prefixes();
        for (int i = 0; i < texts.size(); ++i) {
          if (auto prefix = IpPrefix::Parse(texts[i])) {
            claims.push_back({t, m, static_cast<size_t>(i), *prefix});
          }
        }
      }
    }
    for (size_t j = 0; j < claims.size(); ++j) {
      for (size_t i = 0; i < j; ++i) {
        const Claim& a = claims[i];
        const Claim& b = claims[j];
        if (!a.prefix.Overlaps(b.prefix)) continue;
        const Member& ma = c_->tenants[a.tenant].members[a.member];
        const Member& mb = c_->tenants[b.tenant].members[b.member];
        if (!ScopesMeet(ma, mb)) continue;
        const bool related = a.tenant != b.tenant &&
                             (c_->IsSelfOrAncestor(a.tenant, b.tenant) ||
                              c_->IsSelfOrAncestor(b.tenant, a.tenant));
        // Nested prefixes of a tenant and its ancestor are fine (the longer wins); the same
        // prefix twice is ambiguous (or redundant, within one tenant) and always an error.
        if (related && a.prefix.length() != b.prefix.length()) continue;
        if (a.tenant == b.tenant && a.prefix != b.prefix) continue;
        const std::string path = Idx(
            Field(Idx(Field(Idx("tenants", b.tenant), "members"), b.member), "prefixes"),
            b.prefix_index);
        const std::string other =
            Idx(Field(Idx(Field(Idx("tenants", a.tenant), "members"), a.member), "prefixes"),
                a.prefix_index);
        if (a.tenant == b.tenant) {
          Error(path, absl::StrCat(Quote(b.prefix.ToString()), " is already claimed by ", other,
                                   " ", DescribeScope(ma, mb)),
                absl::StatusCode::kAlreadyExists);
        } else {
          Error(path, absl::StrCat(Quote(b.prefix.ToString()), " overlaps ",
                                   Quote(a.prefix.ToString()), " of tenant ",
                                   Quote(c_->tenants[a.tenant].name), " (", other, ") ",
                                   DescribeScope(ma, mb)));
        }
      }
    }
  }

  // ---- services -----------------------------------------------------------------------------------

  void CheckServices() {
    c_->services.resize(static_cast<size_t>(p_.services_size()));
    for (int s = 0; s < p_.services_size(); ++s) {
      const v1::Service& ps = p_.services(s);
      const std::string path = Idx("services", static_cast<size_t>(s));
      Service& service = c_->services[static_cast<size_t>(s)];
      service.name = ps.name();
      service.description = ps.description();
      if (ps.prefixes_size() == 0) Error(Field(path, "prefixes"), "at least one prefix is required");
      for (int i = 0; i < ps.prefixes_size(); ++i) {
        if (auto prefix =
                ParsePrefix(ps.prefixes(i), Idx(Field(path, "prefixes"), static_cast<size_t>(i)))) {
          service.prefixes.push_back(*prefix);
        }
      }
      for (int t = 0; t < ps.transports_size(); ++t) {
        const v1::Transport& pt = ps.transports(t);
        const std::string tpath = Idx(Field(path, "transports"), static_cast<size_t>(t));
        Transport transport;
        switch (pt.protocol()) {
          case v1::Transport::TCP:
            transport.protocol = Protocol::kTcp;
            break;
          case v1::Transport::UDP:
            transport.protocol = Protocol::kUdp;
            break;
          case v1::Transport::ICMP:
            transport.protocol = Protocol::kIcmp;
            break;
          case v1::Transport::PROTOCOL_UNSPECIFIED:
            Error(Field(tpath, "protocol"), "is required (TCP, UDP or ICMP)");
            continue;
          default:
            Error(Field(tpath, "protocol"), absl::StrCat(static_cast<int>(pt.protocol()),
                                                         " is not a valid protocol (TCP, UDP or "
                                                         "ICMP)"));
            continue;
        }
        if (transport.protocol == Protocol::kIcmp && pt.ports_size() > 0) {
          Error(Field(tpath, "ports"), "must be empty for ICMP (ICMP has no ports)");
          continue;
        }
        for (int r = 0; r < pt.ports_size(); ++r) {
          const std::string rpath = Idx(Field(tpath, "ports"), static_cast<size_t>(r));
          if (auto range = ParsePortRange(pt.ports(r), rpath)) {
            for (const PortRange& prev : transport.ports) {
              if (prev.Overlaps(*range)) {
                Error(rpath, absl::StrCat(ShowPorts(range->first, range->last), " overlaps ",
                                          ShowPorts(prev.first, prev.last),
                                          " of the same transport"));
                break;
              }
            }
            transport.ports.push_back(*range);
          }
        }
        for (const Transport& prev : service.transports) {
          if (prev.protocol == transport.protocol) {
            Error(Field(tpath, "protocol"),
                  absl::StrCat(util::ToAbsl(ProtocolName(transport.protocol)),
                               " is listed twice; put all its port ranges in one transport"),
                  absl::StatusCode::kAlreadyExists);
            break;
          }
        }
        service.transports.push_back(std::move(transport));
      }
      for (int a = 0; a < ps.access_policies_size(); ++a) {
        const v1::AccessPolicy& pa = ps.access_policies(a);
        const std::string apath = Idx(Field(path, "access_policies"), static_cast<size_t>(a));
        AccessEntry entry;
        switch (pa.permission()) {
          case v1::AccessPolicy::PERMISSION_UNSPECIFIED:
          case v1::AccessPolicy::ALLOW:
            entry.permission = Permission::kAllow;
            break;
          case v1::AccessPolicy::DENY:
            entry.permission = Permission::kDeny;
            break;
          default:
            Error(Field(apath, "permission"),
                  absl::StrCat(static_cast<int>(pa.permission()),
                               " is not a valid permission (ALLOW or DENY)"));
            continue;
        }
        std::optional<size_t> tenant = Lookup(tenants_, pa.tenant());
        if (!tenant) {
          Error(Field(apath, "tenant"), absl::StrCat(Quote(pa.tenant()), " is not a defined tenant"));
          continue;
        }
        entry.tenant = *tenant;
        bool duplicate = false;
        for (const AccessEntry& prev : service.access) duplicate |= prev.tenant == *tenant;
        if (duplicate) {
          Error(Field(apath, "tenant"),
                absl::StrCat("tenant ", Quote(pa.tenant()),
                             " already has an access policy in service ", Quote(ps.name())),
                absl::StatusCode::kAlreadyExists);
          continue;
        }
        service.access.push_back(entry);
      }
      if (ps.initiation() != v1::Service::INITIATION_UNSPECIFIED &&
          ps.initiation() != v1::Service::CLIENT_ONLY) {
        Error(Field(path, "initiation"),
              absl::StrCat(static_cast<int>(ps.initiation()),
                           " is not a valid initiation (CLIENT_ONLY)"));
      }
      if (!ps.security_policy().empty()) {
        service.security_policy =
            ResolvePolicy(ps.security_policy(), Field(path, "security_policy"));
      }
      switch (ps.tcp_state_enforcement()) {
        case v1::Service::TCP_STATE_ENFORCEMENT_UNSPECIFIED:
        case v1::Service::RESET:
          service.tcp_state_enforcement = TcpStateEnforcement::kReset;
          break;
        case v1::Service::BLOCK:
          service.tcp_state_enforcement = TcpStateEnforcement::kBlock;
          break;
        case v1::Service::ALLOW:
          service.tcp_state_enforcement = TcpStateEnforcement::kAllow;
          break;
        default:
          Error(Field(path, "tcp_state_enforcement"),
                absl::StrCat(static_cast<int>(ps.tcp_state_enforcement()),
                             " is not a valid value (RESET, BLOCK or ALLOW)"));
      }
    }
  }

  // Two transports lists overlap if some (protocol, port) is in both; empty lists mean "all".
  static bool TransportsOverlap(const std::vector<Transport>& a, const std::vector<Transport>& b) {
    if (a.empty() || b.empty()) return true;
    for (const Transport& ta : a) {
      for (const Transport& tb : b) {
        if (ta.protocol != tb.protocol) continue;
        if (ta.ports.empty() || tb.ports.empty()) return true;
        for (const PortRange& ra : ta.ports) {
          for (const PortRange& rb : tb.ports) {
            if (ra.Overlaps(rb)) return true;
          }
        }
      }
    }
    return false;
  }

  void CheckServiceOverlaps() {
    // Longest prefix decides between services, so only an identical prefix with overlapping
    // transports is ambiguous.
    for (size_t j = 0; j < c_->services.size(); ++j) {
      const v1::Service& pj = p_.services(static_cast<int>(j));
      for (int pi = 0; pi < pj.prefixes_size(); ++pi) {
        std::optional<IpPrefix> prefix = IpPrefix::Parse(pj.prefixes(pi));
        if (!prefix) continue;
        for (size_t i = 0; i < j; ++i) {
          const Service& other = c_->services[i];
          if (std::find(other.prefixes.begin(), other.prefixes.end(), *prefix) ==
                  other.prefixes.end() ||
              !TransportsOverlap(other.transports, c_->services[j].transports)) {
            continue;
          }
          Error(Idx(Field(Idx("services", j), "prefixes"), static_cast<size_t>(pi)),
                absl::StrCat(Quote(prefix->ToString()),
                             " is also a prefix of service ", Quote(other.name), " (",
                             Idx("services", i),
                             ") with overlapping transports; a packet could match both"));
          break;
        }
      }
    }
  }

  // ---- peers and service routes (need routers, services and policies) ----------------------------

  // False when the interface's role was missing or invalid (already reported): its model role is a
  // placeholder, so role-dependent rules skip it instead of reporting follow-on errors.
  bool RoleKnown(size_t router, size_t itf) const {
    const v1::Interface::Role role =
        p_.routers(static_cast<int>(router)).interfaces(static_cast<int>(itf)).role();
    return role == v1::Interface::LAN || role == v1::Interface::WAN;
  }

  void CheckRouterReferences() {
    for (int r = 0; r < p_.routers_size(); ++r) {
      const v1::Router& pr = p_.routers(r);
      Router& router = c_->routers[static_cast<size_t>(r)];
      const std::string path = Idx("routers", static_cast<size_t>(r));
      for (int i = 0; i < pr.peers_size(); ++i) {
        CheckPeer(pr.peers(i), Idx(Field(path, "peers"), static_cast<size_t>(i)),
                  static_cast<size_t>(r), &router);
      }
      for (int i = 0; i < pr.service_routes_size(); ++i) {
        CheckRoute(pr.service_routes(i), Idx(Field(path, "service_routes"), static_cast<size_t>(i)),
                   &router);
      }
    }
  }

  void CheckPeer(const v1::Peer& pp, const std::string& path, size_t self, Router* router) {
    Peer peer;
    peer.name = pp.name();
    bool ok = true;
    std::optional<size_t> other = Lookup(routers_, pp.name());
    if (!other) {
      Error(Field(path, "name"), absl::StrCat(Quote(pp.name()), " is not a defined router"));
      ok = false;
    } else if (*other == self) {
      Error(Field(path, "name"), absl::StrCat("router ", Quote(pp.name()),
                                              " cannot be a peer of itself"));
      ok = false;
    } else {
      peer.router = *other;
      for (const Peer& prev : router->peers) {
        if (prev.name == pp.name()) {
          Error(Field(path, "name"),
                absl::StrCat(Quote(pp.name()), " is already a peer of router ", Quote(router->name)),
                absl::StatusCode::kAlreadyExists);
          ok = false;
        }
      }
      if (ok) {
        const v1::Router& remote = p_.routers(static_cast<int>(*other));
        const bool reciprocal =
            std::any_of(remote.peers().begin(), remote.peers().end(),
                        [&](const v1::Peer& back) { return back.name() == router->name; });
        if (!reciprocal) {
          Error(Field(path, "name"), absl::StrCat("router ", Quote(pp.name()), " does not list ",
                                                  Quote(router->name), " among its peers"));
        }
      }
    }
    if (pp.addresses_size() == 0) {
      Error(Field(path, "addresses"), "at least one peer address is required");
    }
    for (int a = 0; a < pp.addresses_size(); ++a) {
      const std::string apath = Idx(Field(path, "addresses"), static_cast<size_t>(a));
      std::optional<IpAddress> addr = ParseAddress(pp.addresses(a), apath);
      if (!addr) continue;
      if (ok) {
        bool found = false;
        const std::vector<Interface>& remote_itfs = c_->routers[peer.router].interfaces;
        for (size_t k = 0; k < remote_itfs.size(); ++k) {
          if (remote_itfs[k].role != InterfaceRole::kWan && RoleKnown(peer.router, k)) continue;
          for (const InterfaceAddress& ia : remote_itfs[k].addresses) found |= ia.address == *addr;
        }
        if (!found) {
          Error(apath, absl::StrCat(Quote(pp.addresses(a)),
                                    " is not an address of a WAN interface of router ",
                                    Quote(pp.name())));
        }
      }
      peer.addresses.push_back(*addr);
    }
    if (pp.interface().empty()) {
      Error(Field(path, "interface"), "is required (the WAN interface that reaches the peer)");
    } else if (std::optional<size_t> itf = router->InterfaceIndex(pp.interface()); !itf) {
      Error(Field(path, "interface"), absl::StrCat(Quote(pp.interface()),
                                                   " is not an interface of router ",
                                                   Quote(router->name)));
    } else if (router->interfaces[*itf].role != InterfaceRole::kWan) {
      if (RoleKnown(self, *itf)) {
        Error(Field(path, "interface"),
              absl::StrCat(Quote(pp.interface()),
                           " is a LAN interface; peers are reached over a WAN interface"));
      }
    } else {
      peer.interface = *itf;
    }
    if (pp.has_waypoint_ports()) {
      const std::string wpath = Field(path, "waypoint_ports");
      if (auto range = ParsePortRange(pp.waypoint_ports(), wpath)) {
        const std::string shown = ShowPorts(range->first, range->last);
        if (range->first < 1024) {
          Error(wpath, absl::StrCat(shown, " starts below 1024 (well-known ports are not used "
                                           "as waypoint ports)"));
        } else if (range->size() < kMinWaypointPorts) {
          Error(wpath, absl::StrCat(shown, " holds ", range->size(),
                                    range->size() == 1 ? " port" : " ports", "; at least ",
                                    kMinWaypointPorts, " are required"));
        } else if (range->Contains(kPeerLivenessPort)) {
          Error(wpath, absl::StrCat(shown, " contains the peer liveness (BFD) port ",
                                    kPeerLivenessPort));
        }
        peer.waypoint_ports = *range;
        peer.parity_rule = range->first == kDefaultWaypointPortFirst &&
                           range->last == kDefaultWaypointPortLast;
      }
    }
    if (pp.security_policy().empty()) {
      Error(Field(path, "security_policy"), "is required (how packets to the peer are signed)");
    } else if (auto sp = ResolvePolicy(pp.security_policy(), Field(path, "security_policy"))) {
      peer.security_policy = *sp;
      if (c_->security_policies[*sp].hmac == HmacAlgorithm::kSha1) {
        Error(Field(path, "security_policy"),
              absl::StrCat(Quote(pp.security_policy()),
                           " uses hmac \"sha1\", which is accepted on receive only"));
      }
    }
    peer.udp_transform = pp.udp_transform();
    if (pp.nat_keep_alive_seconds() > kMaxNatKeepAliveSeconds) {
      Error(Field(path, "nat_keep_alive_seconds"),
            absl::StrCat(pp.nat_keep_alive_seconds(), " is above the maximum of ",
                         kMaxNatKeepAliveSeconds));
    } else {
      peer.nat_keep_alive = std::chrono::seconds(pp.nat_keep_alive_seconds());
    }
    router->peers.push_back(std::move(peer));
  }

  void CheckRoute(const v1::ServiceRoute& ps, const std::string& path, Router* router) {
    ServiceRoute route;
    route.name = ps.name();
    if (!IsValidName(ps.name())) {
      Error(Field(path, "name"),
            absl::StrCat(Quote(ps.name()), " is not a valid name (", kNameRule, ")"));
    }
    for (const ServiceRoute& prev : router->service_routes) {
      if (prev.name == ps.name()) {
        Error(Field(path, "name"),
              absl::StrCat(Quote(ps.name()), " is already a route of router ", Quote(router->name)),
              absl::StatusCode::kAlreadyExists);
        break;
      }
    }
    std::optional<size_t> service = Lookup(services_, ps.service());
    if (!service) {
      Error(Field(path, "service"), absl::StrCat(Quote(ps.service()), " is not a defined service"));
    } else {
      route.service = *service;
      if (const ServiceRoute* prev = router->RouteForService(*service)) {
        Error(Field(path, "service"),
              absl::StrCat("service ", Quote(ps.service()), " already has a route on router ",
                           Quote(router->name), " (", Quote(prev->name), ")"),
              absl::StatusCode::kAlreadyExists);
      }
    }
    switch (ps.target_case()) {
      case v1::ServiceRoute::kPeer: {
        route.kind = ServiceRoute::Kind::kPeer;
        bool found = false;
        for (size_t i = 0; i < router->peers.size(); ++i) {
          if (router->peers[i].name == ps.peer()) {
            route.peer = i;
            found = true;
          }
        }
        if (!found) {
          Error(Field(path, "peer"), absl::StrCat(Quote(ps.peer()), " is not a peer of router ",
                                                  Quote(router->name)));
        }
        break;
      }
      case v1::ServiceRoute::kNextHop: {
        route.kind = ServiceRoute::Kind::kNextHop;
        const std::string npath = Field(path, "next_hop");
        const auto& nh = ps.next_hop();
        std::optional<size_t> itf = router->InterfaceIndex(nh.interface());
        if (nh.interface().empty()) {
          Error(Field(npath, "interface"), "is required (the LAN interface of the next hop)");
        } else if (!itf) {
          Error(Field(npath, "interface"), absl::StrCat(Quote(nh.interface()),
                                                        " is not an interface of router ",
                                                        Quote(router->name)));
        } else if (router->interfaces[*itf].role != InterfaceRole::kLan) {
          Error(Field(npath, "interface"),
                absl::StrCat(Quote(nh.interface()),
                             " is a WAN interface; a local next hop is on a LAN interface"));
        } else {
          route.interface = *itf;
        }
        if (!nh.gateway().empty()) {
          route.gateway = ParseAddress(nh.gateway(), Field(npath, "gateway"));
          if (route.gateway && itf && router->interfaces[*itf].role == InterfaceRole::kLan) {
            const auto& addrs = router->interfaces[*itf].addresses;
            const bool on_subnet = std::any_of(addrs.begin(), addrs.end(),
                                               [&](const InterfaceAddress& ia) {
                                                 return ia.subnet().Contains(*route.gateway);
                                               });
            if (!on_subnet) {
              Error(Field(npath, "gateway"),
                    absl::StrCat(Quote(nh.gateway()), " is not on a subnet of interface ",
                                 Quote(nh.interface())));
            }
          }
        }
        break;
      }
      case v1::ServiceRoute::TARGET_NOT_SET:
        Error(path, "one of next_hop or peer is required");
        break;
    }
    router->service_routes.push_back(std::move(route));
  }

  // ---- timeouts and limits ------------------------------------------------------------------------

  void CheckTimeouts() {
    const v1::Timeouts& t = p_.timeouts();
    Timeouts& out = c_->timeouts;
    const std::pair<uint32_t, std::pair<const char*, std::chrono::seconds*>> fields[] = {
        {t.tcp_embryonic_seconds(), {"tcp_embryonic_seconds", &out.tcp_embryonic}},
        {t.tcp_established_seconds(), {"tcp_established_seconds", &out.tcp_established}},
        {t.tcp_closing_seconds(), {"tcp_closing_seconds", &out.tcp_closing}},
        {t.udp_seconds(), {"udp_seconds", &out.udp}},
        {t.udp_dns_seconds(), {"udp_dns_seconds", &out.udp_dns}},
        {t.icmp_seconds(), {"icmp_seconds", &out.icmp}},
        {t.other_seconds(), {"other_seconds", &out.other}},
    };
    bool all_in_range = true;
    for (const auto& [value, field] : fields) {
      if (value > kMaxTimeoutSeconds) {
        all_in_range = false;
        Error(Field("timeouts", field.first),
              absl::StrCat(value, " is out of range (1-", kMaxTimeoutSeconds, ")"));
      } else if (value != 0) {
        *field.second = std::chrono::seconds(value);
      }
    }
    // Only compare values the user wrote validly, not a default standing in for a bad one.
    if (all_in_range && out.tcp_embryonic > out.tcp_established) {
      Error("timeouts.tcp_embryonic_seconds",
            absl::StrCat(out.tcp_embryonic.count(), " exceeds tcp_established_seconds (",
                         out.tcp_established.count(), ")"));
    }
  }

  void CheckLimits() {
    const v1::Limits& l = p_.limits();
    Limits& out = c_->limits;
    bool max_ok = true;
    if (l.max_sessions() != 0) {
      if (l.max_sessions() < kMinLimitSessions || l.max_sessions() > kMaxLimitSessions) {
        Error("limits.max_sessions", absl::StrCat(l.max_sessions(), " is out of range (",
                                                  kMinLimitSessions, "-", kMaxLimitSessions, ")"));
        max_ok = false;
      } else {
        out.max_sessions = l.max_sessions();
      }
    }
    if (max_ok && l.max_sessions_per_tenant() > out.max_sessions) {
      Error("limits.max_sessions_per_tenant",
            absl::StrCat(l.max_sessions_per_tenant(), " exceeds max_sessions (", out.max_sessions,
                         ")"));
    } else {
      out.max_sessions_per_tenant = l.max_sessions_per_tenant();
    }
  }

  const v1::Config& p_;
  const LoadOptions& options_;
  Config* c_ = nullptr;
  ErrorSink errors_;
  absl::flat_hash_map<std::string, size_t> keys_, policies_, routers_, tenants_, services_;
};

}  // namespace

ValidationResult Validate(const v1::Config& proto, const LoadOptions& options) {
  return Builder(proto, options).Run();
}

absl::StatusOr<std::shared_ptr<const Config>> LoadConfigString(std::string_view text,
                                                               ConfigFormat format,
                                                               const LoadOptions& options) {
  absl::StatusOr<v1::Config> proto = ParseConfig(text, format);
  if (!proto.ok()) return proto.status();
  ValidationResult result = Validate(*proto, options);
  if (!result.ok()) return ErrorsToStatus(result.errors);
  return std::move(result.config);
}

absl::StatusOr<std::shared_ptr<const Config>> LoadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  LoadOptions options;
  options.base_dir = std::filesystem::path(path).parent_path().string();
  absl::StatusOr<std::shared_ptr<const Config>> config =
      LoadConfigString(*text, FormatForPath(path), options);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ":\n", config.status().message()));
  }
  return config;
}

}  // namespace ssr::config
