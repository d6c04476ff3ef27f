#include "protocol/teltonika/detail/io_names.hpp"

#include <string>

// IDs, sizes and scales: protocols.md 1.5 and the Teltonika wiki "FMB AVL ID" table (FMB family;
// the FMB64x family numbers some elements differently and is not special-cased here).
namespace fleet::protocol::teltonika::detail {
namespace {

// Values of signed elements (axes) are two's complement in `size` bytes.
int64_t Signed(const core::IoElement& e) {
    if (e.size == 0 || e.size >= 8) return static_cast<int64_t>(e.value);
    unsigned shift = 64u - 8u * e.size;
    return static_cast<int64_t>(e.value << shift) >> shift;
}

int64_t Int(const core::IoElement& e) { return static_cast<int64_t>(e.value); }

// Divides rather than multiplies by 0.001, so 24079 mV prints as 24.079, not 24.079000000000004.
double Scaled(const core::IoElement& e, double divisor) {
    return static_cast<double>(e.value) / divisor;
}

// iButton ID (78) as the 16 hex digits of its 8 bytes, most significant first (traccar's form).
std::string Hex16(uint64_t v) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xF];
    return out;
}

}  // namespace

template <size_t N, typename T>
void IoNamer::Put(uint16_t id, const char (&name)[N], T value) {
    uint64_t bit = uint64_t{1} << (id % 64);
    uint64_t& word = seen_[id / 64];
    if ((word & bit) != 0) {
        core::SetAttribute(rec_.attributes, std::string(name, N - 1), std::move(value));
        return;
    }
    word |= bit;
    AppendAttribute(rec_.attributes, name, std::move(value));
}

void IoNamer::Alarm(uint16_t id, const char* name) {
    bool is_event = id == event_io_id_;
    if (alarm_ == nullptr || (is_event && !alarm_is_event_)) {
        alarm_ = name;
        alarm_is_event_ = is_event;
    }
}

void IoNamer::Add(const core::IoElement& e) {
    // Keep in step with kNamedIds: an ID missing there is never passed here by the decoder.
    if (e.size == 0) {
        // Variable-length (Codec 8 Extended NX) elements.
        if (e.id == 281) Put(e.id, "dtc_codes", e.bytes);  // Fault Codes, ASCII, comma-separated
        return;
    }
    switch (e.id) {
        case 1: Put(e.id, "digital_input_1", e.value != 0); break;
        case 2: Put(e.id, "digital_input_2", e.value != 0); break;
        case 3: Put(e.id, "digital_input_3", e.value != 0); break;
        case 9: Put(e.id, "analog_input_1", Scaled(e, 1000)); break;  // mV → V
        case 16: Put(e.id, "odometer_m", Int(e)); break;              // Total Odometer, m
        case 17: Put(e.id, "axis_x_mg", Signed(e)); break;            // signed mG
        case 18: Put(e.id, "axis_y_mg", Signed(e)); break;
        case 19: Put(e.id, "axis_z_mg", Signed(e)); break;
        case 21: Put(e.id, "gsm_signal", Int(e)); break;                   // 0..5
        case 30: Put(e.id, "dtc_count", Int(e)); break;                    // Number of DTC (OBD)
        case 66: Put(e.id, "external_voltage_v", Scaled(e, 1000)); break;  // mV → V
        case 67: Put(e.id, "battery_v", Scaled(e, 1000)); break;           // mV → V
        case 68: Put(e.id, "battery_current_a", Scaled(e, 1000)); break;   // mA → A
        case 69: Put(e.id, "gnss_status", Int(e)); break;  // 0 off, 1 fix, 2 no fix, 3 sleep
        case 78:
            // iButton; 0 means no badge is attached.
            if (e.value != 0) Put(e.id, "driver_id", Hex16(e.value));
            break;
        case 83: Put(e.id, "fuel_used_l", Scaled(e, 10)); break;   // CAN Fuel Consumed, 0.1 l
        case 84: Put(e.id, "fuel_level_l", Scaled(e, 10)); break;  // CAN Fuel Level, 0.1 l
        case 85: Put(e.id, "engine_rpm", Int(e)); break;           // CAN Engine RPM
        case 89: Put(e.id, "fuel_level_pct", Int(e)); break;       // CAN Fuel level, %
        case 179: Put(e.id, "digital_output_1", e.value != 0); break;
        case 180: Put(e.id, "digital_output_2", e.value != 0); break;
        case 181: Put(e.id, "pdop", Scaled(e, 10)); break;  // GNSS PDOP, ×0.1
        case 182: {
            double hdop = Scaled(e, 10);  // GNSS HDOP, ×0.1
            rec_.hdop = hdop;
            Put(e.id, "hdop", hdop);
            break;
        }
        case 199: Put(e.id, "trip_odometer_m", Int(e)); break;
        case 200: Put(e.id, "sleep_mode", Int(e)); break;  // 0 none .. 4
        case 239: Put(e.id, "ignition", e.value != 0); break;
        case 240: Put(e.id, "motion", e.value != 0); break;
        // Eventual elements that are alarms.
        case 246:  // Towing: 0 steady, 1 towing
            if (e.value == 1) Alarm(e.id, "tow");
            break;
        case 247:  // Crash detection: 1..6 crash or crash trace
            if (e.value != 0) Alarm(e.id, "crash");
            break;
        case 249:  // Jamming: 0 stop, 1 start
            if (e.value == 1) Alarm(e.id, "gsm_jamming");
            break;
        case 252:  // Unplug: 0 external power present, 1 unplugged
            if (e.value == 1) Alarm(e.id, "power_cut");
            break;
        case 253:  // Green driving type
            if (e.value == 1) Alarm(e.id, "harsh_acceleration");
            if (e.value == 2) Alarm(e.id, "harsh_braking");
            if (e.value == 3) Alarm(e.id, "harsh_cornering");
            break;
        case 255:  // Over Speeding: the speed in km/h at its start and at its end
            if (e.value != 0) Alarm(e.id, "overspeed");
            break;
        default: break;
    }
}

void IoNamer::Finish() {
    if (alarm_ != nullptr) AppendAttribute(rec_.attributes, "alarm", std::string(alarm_));
}

}  // namespace fleet::protocol::teltonika::detail
