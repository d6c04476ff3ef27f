// The simulated vehicles: a synthetic street grid around a city centre (City) and one vehicle
// driving trips on it (Vehicle), with the telemetry a Teltonika FMB box would report (ignition,
// movement, odometer, driver badge, voltages, GSM signal, satellites, fuel, harsh braking,
// dashboard alerts). Everything is deterministic from the seed and the vehicle index, and cheap:
// advancing a vehicle costs a few arithmetic operations per simulated second, filling a record one
// small vector refill. Thread-compatible: a City is immutable after construction and may be shared;
// a Vehicle is not.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "core/record.hpp"

namespace fleet::sim {

// SplitMix64: a small, fast, seedable generator. Good enough for simulation, not for secrets.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t Next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
    double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
    // Uniform in [lo, hi], both inclusive.
    int Int(int lo, int hi) {
        return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
    }
    bool Chance(double p) { return Uniform() < p; }

private:
    uint64_t state_;
};

struct LatLon {
    double lat = 0;  // degrees
    double lon = 0;  // degrees
};

// A street grid of (2 * kHalf + 1) north-south and as many east-west streets around a centre,
// blocks 150-300 m long, turned by a few degrees so that courses are not only the four cardinal
// ones. The square of streets at |index| == kRing is a ring road (90 km/h, no traffic lights along
// it); every sixth street is a 50 km/h boulevard; the others are 30 or 40 km/h streets.
class City {
public:
    static constexpr int kHalf = 22;  // streets -kHalf..kHalf each way: about ±5 km
    static constexpr int kRing = 13;  // about ±3 km

    // Grid directions, clockwise from grid north.
    enum Dir : int { kNorth = 0, kEast = 1, kSouth = 2, kWest = 3 };

    // The layout (block lengths, street classes, grid angle) depends only on `seed`.
    explicit City(uint32_t seed, LatLon centre = {45.76, 4.83});

    // Metres east (grid frame) of north-south street i, and north of east-west street j.
    double StreetX(int i) const { return xs_[static_cast<size_t>(i + kHalf)]; }
    double StreetY(int j) const { return ys_[static_cast<size_t>(j + kHalf)]; }
    static bool Inside(int i, int j) {
        return i >= -kHalf && i <= kHalf && j >= -kHalf && j <= kHalf;
    }

    // Speed limit of the street segment from node (i, j) one block in direction d (km/h).
    double SpeedLimitKmh(int i, int j, Dir d) const;
    // Whether that segment is part of the ring road.
    static bool IsRingSegment(int i, int j, Dir d);
    static bool OnRing(int i, int j);

    // Grid-frame metres (x east, y north of the centre, before the grid's turn) to WGS84 degrees.
    LatLon ToLatLon(double x, double y) const;
    // Compass course of grid direction d (degrees, 0 = north, clockwise).
    double CourseDeg(Dir d) const { return course_deg_[d]; }

private:
    std::array<double, 2 * kHalf + 1> xs_{};
    std::array<double, 2 * kHalf + 1> ys_{};
    std::array<double, 2 * kHalf + 1> street_kmh_{};  // class of street index k (both axes)
    std::array<double, 4> course_deg_{};
    LatLon centre_;
    double sin_a_ = 0, cos_a_ = 1;  // the grid's turn
    double m_per_deg_lat_ = 0, m_per_deg_lon_ = 0;
};

// An event a sample reports, for protocols that signal events apart (GT06 alarms).
enum class Event { kNone, kIgnitionOn, kIgnitionOff, kHarshBrake };

// One vehicle on a City: parks with ignition off, starts, idles, drives a trip to a destination
// street by street (accelerating, cruising 30-50 km/h in town and up to 90 on the ring road,
// braking for red lights, turns and the destination), parks again. Some trips go by the ring road.
class Vehicle {
public:
    // Teltonika IO ids (protocols.md 1.5, and the FMB list for 30, 89, 253, 281).
    static constexpr uint16_t kIoGsmSignal = 21;        // 0-5
    static constexpr uint16_t kIoSpeed = 24;            // km/h
    static constexpr uint16_t kIoDtcCount = 30;         // number of dashboard trouble codes
    static constexpr uint16_t kIoExternalVoltage = 66;  // mV
    static constexpr uint16_t kIoBatteryVoltage = 67;   // mV
    static constexpr uint16_t kIoGnssStatus = 69;       // 1 = on with fix
    static constexpr uint16_t kIoIButton = 78;          // driver badge, 0 = none
    static constexpr uint16_t kIoFuelLevel = 89;        // %
    static constexpr uint16_t kIoOdometer = 16;         // total odometer, m
    static constexpr uint16_t kIoPdop = 181;            // ×0.1
    static constexpr uint16_t kIoHdop = 182;            // ×0.1
    static constexpr uint16_t kIoTripOdometer = 199;    // m
    static constexpr uint16_t kIoIgnition = 239;        // 0/1
    static constexpr uint16_t kIoMovement = 240;        // 0/1
    static constexpr uint16_t kIoGreenDriving = 253;    // 1 acceleration, 2 braking, 3 cornering
    static constexpr uint16_t kIoDtcText = 281;         // fault codes, text (variable length)

    // `city` must outlive the vehicle. The starting state (node, parked or driving, odometer, fuel,
    // drivers) depends only on (seed, index).
    Vehicle(const City& city, uint32_t seed, uint64_t index);

    // Moves simulated time forward by `dt` (any length; long parked periods cost nothing).
    void Advance(std::chrono::milliseconds dt);

    // Writes the current state into `r` as the device would report it at `device_time`, reusing the
    // capacity of r.io and r.attributes. An event that happened since the last sample (ignition
    // change, harsh braking) is reported on this record (attributes "event_io_id" and "priority")
    // and returned; one event per sample, others wait for the next.
    Event Fill(core::Record& r, core::TimePoint device_time);

    // The GSM cell the vehicle is in: Orange France (MCC 208, MNC 1), one cell per 3 x 3 blocks.
    struct Cell {
        int mcc = 0, mnc = 0, lac = 0, cell_id = 0;
    };

    bool ignition() const { return mode_ != Mode::kParked; }
    double odometer_m() const { return odometer_m_; }
    int gsm_level() const { return gsm_; }  // 0-5
    Cell ServingCell() const;

private:
    enum class Mode { kParked, kIdling, kDriving, kWaiting };
    enum class EndAction { kStraight, kTurn, kStop, kPark };
    enum class Leg { kDirect, kToRing, kOnRing };

    // One step of at most `h` seconds (h <= 1) while driving; returns the seconds used (less than h
    // when the step reaches a node).
    double Drive(double h);
    // Spends up to `remaining_s` parked, idling or at a red light; returns the seconds used.
    double Wait(double remaining_s);
    void StartTrip();
    void StartSegment(City::Dir d);
    void PlanSegmentEnd();
    City::Dir ChooseDir(int i, int j, City::Dir incoming);
    City::Dir RingDir(int i, int j) const;
    void ArriveAtNode();
    void Park();
    void UpdateSlowSignals();

    const City& city_;
    Rng rng_;

    Mode mode_ = Mode::kParked;
    double timer_s_ = 0;  // time left in kParked, kIdling, kWaiting

    // Position: on the segment from node (i_, j_) towards direction dir_, s_ metres along it.
    int i_ = 0, j_ = 0;
    City::Dir dir_ = City::kNorth;
    double s_ = 0, length_ = 0;
    double v_ = 0;       // m/s
    double cruise_ = 0;  // m/s, this segment
    double v_end_ = 0;   // m/s wanted at the segment's end
    EndAction end_ = EndAction::kStraight;
    City::Dir next_dir_ = City::kNorth;
    bool braking_ = false;
    bool late_brake_ = false;  // this driver notices the light late: a harsh brake

    // Trip: destination node, optionally through the ring road.
    int dest_i_ = 0, dest_j_ = 0;
    int ring_in_i_ = 0, ring_in_j_ = 0, ring_out_i_ = 0, ring_out_j_ = 0;
    Leg leg_ = Leg::kDirect;
    bool ring_ccw_ = true;

    // Driver and vehicle.
    double pace_ = 1;     // the driver's cruise speed relative to the limit
    double accel_ = 1.5;  // m/s²
    double brake_ = 2.0;  // m/s², comfortable braking
    std::array<uint64_t, 2> drivers_{};
    uint64_t driver_ = 0;
    double odometer_m_ = 0, trip_m_ = 0;
    double fuel_pct_ = 60;
    double parked_s_ = 0;  // since ignition off, for the battery's slow discharge
    int dtc_ = 0;          // index into the fault code list, 0 = none
    int gsm_ = 4, satellites_ = 10;

    bool event_ignition_ = false, event_harsh_ = false;
};

}  // namespace fleet::sim
