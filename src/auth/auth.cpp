#include "auth/auth.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <mutex>

namespace fleet::auth {
namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

size_t CodePoints(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::string Base64Url(const uint8_t* data, size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

constexpr std::chrono::seconds kStep{30};

int64_t StepOf(core::TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count() / kStep.count();
}

}  // namespace

Result<void> Init() {
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] { ok = sodium_init() >= 0 && oath_init() == OATH_OK; });
    if (!ok) return MakeError("cannot initialise libsodium or liboath");
    return {};
}

// --- passwords ------------------------------------------------------------------------------------

Result<CommonPasswords> CommonPasswords::Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return MakeError("cannot read the common-password list " + path);
    CommonPasswords list;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) list.set_.insert(Lower(line));
    }
    return list;
}

CommonPasswords CommonPasswords::FromList(const std::vector<std::string>& passwords) {
    CommonPasswords list;
    for (const auto& p : passwords) list.set_.insert(Lower(p));
    return list;
}

bool CommonPasswords::Contains(std::string_view password) const { return set_.count(Lower(password)) > 0; }

Result<void> CheckNewPassword(std::string_view password, std::string_view email, std::string_view tenant_name,
                              const CommonPasswords& common, const PasswordPolicy& policy) {
    size_t chars = CodePoints(password);
    if (chars < policy.min_chars) {
        return MakeError(fmt::format("a password needs at least {} characters", policy.min_chars));
    }
    if (chars > policy.max_chars) {
        return MakeError(fmt::format("a password has at most {} characters", policy.max_chars));
    }
    if (common.Contains(password)) return MakeError("this password is too common: it appears in breach lists");
    std::string lower = Lower(password);
    std::string local(email.substr(0, email.find('@')));
    if (local.size() >= 3 && lower.find(Lower(local)) != std::string::npos) {
        return MakeError("a password must not contain the e-mail address's name");
    }
    if (tenant_name.size() >= 3 && lower.find(Lower(tenant_name)) != std::string::npos) {
        return MakeError("a password must not contain the organisation's name");
    }
    return {};
}

Result<std::string> HashPassword(std::string_view password, const HashCost& cost) {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.mem_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return MakeError("password hashing failed (out of memory)");
    }
    return std::string(out);
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
    std::string e(encoded);  // libsodium wants a NUL-terminated string
    return crypto_pwhash_str_verify(e.c_str(), password.data(), password.size()) == 0;
}

bool NeedsRehash(std::string_view encoded, const HashCost& cost) {
    std::string e(encoded);
    return crypto_pwhash_str_needs_rehash(e.c_str(), cost.ops, cost.mem_bytes) != 0;
}

// --- TOTP -------------------------------------------------------------------------------------------

std::vector<uint8_t> NewTotpKey() {
    std::vector<uint8_t> key(20);
    randombytes_buf(key.data(), key.size());
    return key;
}

std::string Base32(const std::vector<uint8_t>& key) {
    char* out = nullptr;
    size_t len = 0;
    if (oath_base32_encode(reinterpret_cast<const char*>(key.data()), key.size(), &out, &len) != OATH_OK) return {};
    std::string s(out, len);
    free(out);  // NOLINT: allocated by liboath with malloc
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, const std::vector<uint8_t>& key) {
    auto encode = [](std::string_view s) {
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
                out.push_back(static_cast<char>(c));
            } else {
                out += fmt::format("%{:02X}", c);
            }
        }
        return out;
    };
    return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30", encode(issuer),
                       encode(account), Base32(key), encode(issuer));
}

std::string TotpCode(const std::vector<uint8_t>& key, core::TimePoint t) {
    char code[7] = {};
    time_t now = static_cast<time_t>(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
    if (oath_totp_generate2(reinterpret_cast<const char*>(key.data()), key.size(), now, kStep.count(), 0, 6, 0,
                            code) != OATH_OK) {
        return {};
    }
    return std::string(code, 6);
}

std::optional<int64_t> VerifyTotp(const std::vector<uint8_t>& key, std::string_view code, core::TimePoint now,
                                  int64_t last_used_step) {
    if (code.size() != 6 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    int64_t step = StepOf(now);
    // Compare every candidate (no early exit) so timing does not tell which step matched.
    std::optional<int64_t> matched;
    for (int64_t s = step - 1; s <= step + 1; ++s) {
        std::string expected = TotpCode(key, core::TimePoint{std::chrono::duration_cast<core::Millis>(s * kStep)});
        if (ConstantTimeEquals(expected, code) && s > last_used_step && !matched) matched = s;
    }
    return matched;
}

// --- tokens -----------------------------------------------------------------------------------------

std::string RandomToken(size_t bytes) {
    std::vector<uint8_t> buf(bytes);
    randombytes_buf(buf.data(), buf.size());
    return Base64Url(buf.data(), buf.size());
}

std::string HashToken(std::string_view token) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string> NewRecoveryCodes(size_t count) {
    static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";  // no 0/o, 1/l/i
    constexpr uint32_t kSize = sizeof(kAlphabet) - 1;
    std::vector<std::string> codes;
    for (size_t i = 0; i < count; ++i) {
        std::string code;
        for (int k = 0; k < 10; ++k) {
            if (k == 5) code.push_back('-');
            code.push_back(kAlphabet[randombytes_uniform(kSize)]);
        }
        codes.push_back(std::move(code));
    }
    return codes;
}

// --- secrets at rest ---------------------------------------------------------------------------------

Result<SecretBox> SecretBox::LoadOrCreate(const std::string& key_path) {
    std::vector<uint8_t> key(crypto_secretbox_KEYBYTES);
    int fd = ::open(key_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = ::read(fd, key.data(), key.size());
        ::close(fd);
        if (n != static_cast<ssize_t>(key.size())) return MakeError("the key file " + key_path + " is damaged");
        return FromKey(key);
    }
    randombytes_buf(key.data(), key.size());
    fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return MakeError("cannot create the key file " + key_path + ": " + std::strerror(errno));
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return MakeError("cannot write the key file " + key_path);
    return FromKey(key);
}

SecretBox SecretBox::FromKey(const std::vector<uint8_t>& key) {
    SecretBox box;
    box.key_ = key;
    box.key_.resize(crypto_secretbox_KEYBYTES);
    return box;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
    std::vector<uint8_t> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
    randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), out.data(),
                          key_.data());
    return Base64Url(out.data(), out.size());
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
    std::vector<uint8_t> raw(sealed.size());
    size_t len = 0;
    if (sodium_base642bin(raw.data(), raw.size(), sealed.data(), sealed.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return MakeError("not a sealed secret");
    }
    std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                   raw.data() + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
                                   raw.data(), key_.data()) != 0) {
        return MakeError("the secret does not open with this key (altered, or another key)");
    }
    return plain;
}

}  // namespace fleet::auth
