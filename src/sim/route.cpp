#include "sim/route.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <string_view>

namespace fleet::sim {
namespace {

constexpr double kEarthRadiusM = 6371008.8;
constexpr int kDi[4] = {0, 1, 0, -1};  // grid north, east, south, west
constexpr int kDj[4] = {1, 0, -1, 0};
constexpr int R = City::kRing;

City::Dir Reverse(City::Dir d) { return static_cast<City::Dir>((d + 2) % 4); }
int Manhattan(int i0, int j0, int i1, int j1) { return std::abs(i1 - i0) + std::abs(j1 - j0); }

// The ring node closest to node (i, j): clamp into the ring's square, then push out to its edge.
void NearestRingNode(int i, int j, int& ri, int& rj) {
    ri = std::clamp(i, -R, R);
    rj = std::clamp(j, -R, R);
    if (std::max(std::abs(ri), std::abs(rj)) < R) {
        if (std::abs(ri) >= std::abs(rj)) {
            ri = ri >= 0 ? R : -R;
        } else {
            rj = rj >= 0 ? R : -R;
        }
    }
}

// Position of a ring node along the ring, counter-clockwise from the south-east corner, in blocks.
int RingParam(int i, int j) {
    if (i == R && j < R) return j + R;
    if (j == R && i > -R) return 2 * R + (R - i);
    if (i == -R && j > -R) return 4 * R + (R - j);
    return 6 * R + (i + R);
}

// Dashboard trouble codes a vehicle may raise (OBD-II generic codes).
constexpr std::string_view kDtcCodes[] = {"P0171", "P0300", "P0420", "P0128", "P0442", "U0100"};
constexpr int kDtcCount = static_cast<int>(std::size(kDtcCodes));

uint64_t MixSeed(uint32_t seed, uint64_t index) {
    Rng mix(static_cast<uint64_t>(seed) * 0x100000001B3ULL ^ (index + 0x51ED270B27F5ULL));
    return mix.Next();
}

}  // namespace

City::City(uint32_t seed, LatLon centre) : centre_(centre) {
    Rng rng(MixSeed(seed, ~0ULL));
    for (auto* axis : {&xs_, &ys_}) {
        (*axis)[kHalf] = 0;
        for (int k = 1; k <= kHalf; ++k) {
            (*axis)[kHalf + k] = (*axis)[kHalf + k - 1] + rng.Uniform(150, 300);
            (*axis)[kHalf - k] = (*axis)[kHalf - k + 1] - rng.Uniform(150, 300);
        }
    }
    for (int k = -kHalf; k <= kHalf; ++k) {
        street_kmh_[static_cast<size_t>(k + kHalf)] = k % 6 == 0 ? 50 : rng.Chance(0.5) ? 30 : 40;
    }
    double angle_deg = rng.Uniform(-15, 15);
    double a = angle_deg * std::numbers::pi / 180;
    sin_a_ = std::sin(a);
    cos_a_ = std::cos(a);
    for (int d = 0; d < 4; ++d)
        course_deg_[static_cast<size_t>(d)] = std::fmod(d * 90 + angle_deg + 360, 360);
    m_per_deg_lat_ = kEarthRadiusM * std::numbers::pi / 180;
    m_per_deg_lon_ = m_per_deg_lat_ * std::cos(centre.lat * std::numbers::pi / 180);
}

bool City::OnRing(int i, int j) {
    return (std::abs(i) == R && std::abs(j) <= R) || (std::abs(j) == R && std::abs(i) <= R);
}

bool City::IsRingSegment(int i, int j, Dir d) {
    int i1 = i + kDi[d], j1 = j + kDj[d];
    bool vertical = d == kNorth || d == kSouth;
    return OnRing(i, j) && OnRing(i1, j1) && (vertical ? std::abs(i) == R : std::abs(j) == R);
}

double City::SpeedLimitKmh(int i, int j, Dir d) const {
    if (IsRingSegment(i, j, d)) return 90;
    int street = (d == kNorth || d == kSouth) ? i : j;
    return street_kmh_[static_cast<size_t>(street + kHalf)];
}

LatLon City::ToLatLon(double x, double y) const {
    // The grid is turned clockwise by its angle: grid north points at compass bearing angle.
    double east = x * cos_a_ + y * sin_a_;
    double north = -x * sin_a_ + y * cos_a_;
    return {centre_.lat + north / m_per_deg_lat_, centre_.lon + east / m_per_deg_lon_};
}

Vehicle::Vehicle(const City& city, uint32_t seed, uint64_t index)
    : city_(city), rng_(MixSeed(seed, index)) {
    pace_ = rng_.Uniform(0.85, 1.05);
    accel_ = rng_.Uniform(1.2, 2.0);
    brake_ = rng_.Uniform(1.8, 2.6);
    for (auto& d : drivers_)
        d = (rng_.Next() << 8) | 0x01;  // iButton family code 0x01 in the low byte
    odometer_m_ = std::floor(rng_.Uniform(5e6, 150e6));
    fuel_pct_ = rng_.Uniform(25, 100);
    gsm_ = rng_.Int(3, 5);
    satellites_ = rng_.Int(7, 13);
    i_ = rng_.Int(-City::kHalf + 1, City::kHalf - 1);
    j_ = rng_.Int(-City::kHalf + 1, City::kHalf - 1);
    dir_ = static_cast<City::Dir>(rng_.Int(0, 3));
    if (rng_.Chance(0.6)) {
        mode_ = Mode::kParked;
        timer_s_ = rng_.Uniform(0, 900);
        parked_s_ = rng_.Uniform(0, 3600);
    } else {
        driver_ = drivers_[static_cast<size_t>(rng_.Int(0, 1))];
        StartTrip();
    }
}

void Vehicle::Advance(std::chrono::milliseconds dt) {
    double remaining = static_cast<double>(dt.count()) / 1000;
    while (remaining > 1e-9) {
        remaining -= mode_ == Mode::kDriving ? Drive(std::min(remaining, 1.0)) : Wait(remaining);
    }
}

double Vehicle::Wait(double remaining_s) {
    double used = std::min(remaining_s, timer_s_);
    timer_s_ -= used;
    if (mode_ == Mode::kParked) parked_s_ += used;
    if (timer_s_ > 0) return used;
    switch (mode_) {
        case Mode::kParked:  // the driver badges in and starts the engine
            mode_ = Mode::kIdling;
            event_ignition_ = true;
            driver_ = drivers_[static_cast<size_t>(rng_.Int(0, 1))];
            trip_m_ = 0;
            if (dtc_ == 0 && rng_.Chance(0.04)) {
                dtc_ = rng_.Int(1, kDtcCount);
            } else if (dtc_ != 0 && rng_.Chance(0.3)) {
                dtc_ = 0;
            }
            timer_s_ = rng_.Uniform(8, 40);
            break;
        case Mode::kIdling: StartTrip(); break;
        case Mode::kWaiting:  // green light
            mode_ = Mode::kDriving;
            StartSegment(next_dir_);
            break;
        case Mode::kDriving: break;
    }
    return used;
}

void Vehicle::StartTrip() {
    mode_ = Mode::kDriving;
    v_ = 0;
    do {
        dest_i_ = rng_.Int(-City::kHalf, City::kHalf);
        dest_j_ = rng_.Int(-City::kHalf, City::kHalf);
    } while (Manhattan(i_, j_, dest_i_, dest_j_) < 4);
    leg_ = Leg::kDirect;
    if (Manhattan(i_, j_, dest_i_, dest_j_) > 16 && rng_.Chance(0.6)) {
        NearestRingNode(i_, j_, ring_in_i_, ring_in_j_);
        NearestRingNode(dest_i_, dest_j_, ring_out_i_, ring_out_j_);
        if (ring_in_i_ != ring_out_i_ || ring_in_j_ != ring_out_j_) {
            leg_ = (i_ == ring_in_i_ && j_ == ring_in_j_) ? Leg::kOnRing : Leg::kToRing;
            int around =
                (RingParam(ring_out_i_, ring_out_j_) - RingParam(ring_in_i_, ring_in_j_) + 8 * R) %
                (8 * R);
            ring_ccw_ = around <= 4 * R;
        }
    }
    // Leaving a parking place any way is fine, a U-turn included.
    next_dir_ = ChooseDir(i_, j_, Reverse(dir_));
    StartSegment(next_dir_);
}

void Vehicle::StartSegment(City::Dir d) {
    dir_ = d;
    s_ = 0;
    length_ = (d == City::kNorth || d == City::kSouth)
                  ? std::abs(city_.StreetY(j_ + kDj[d]) - city_.StreetY(j_))
                  : std::abs(city_.StreetX(i_ + kDi[d]) - city_.StreetX(i_));
    cruise_ = city_.SpeedLimitKmh(i_, j_, d) / 3.6 * pace_;
    braking_ = false;
    late_brake_ = false;
    PlanSegmentEnd();
}

void Vehicle::PlanSegmentEnd() {
    int ni = i_ + kDi[dir_], nj = j_ + kDj[dir_];
    if (leg_ == Leg::kToRing && ni == ring_in_i_ && nj == ring_in_j_) leg_ = Leg::kOnRing;
    if (leg_ == Leg::kOnRing && ni == ring_out_i_ && nj == ring_out_j_) leg_ = Leg::kDirect;
    if (leg_ == Leg::kDirect && ni == dest_i_ && nj == dest_j_) {
        end_ = EndAction::kPark;
        v_end_ = 0;
        return;
    }
    next_dir_ = ChooseDir(ni, nj, dir_);
    bool through_ring = City::IsRingSegment(i_, j_, dir_) && City::IsRingSegment(ni, nj, next_dir_);
    if (!through_ring && rng_.Chance(0.3)) {  // red light
        end_ = EndAction::kStop;
        v_end_ = 0;
        late_brake_ = rng_.Chance(0.05);
    } else if (next_dir_ == dir_) {
        end_ = EndAction::kStraight;
        v_end_ = std::min(cruise_, city_.SpeedLimitKmh(ni, nj, next_dir_) / 3.6 * pace_);
    } else {
        end_ = EndAction::kTurn;
        v_end_ = std::min(cruise_, rng_.Uniform(4.2, 5.6));  // 15-20 km/h
    }
}

City::Dir Vehicle::ChooseDir(int i, int j, City::Dir incoming) {
    if (leg_ == Leg::kOnRing) return RingDir(i, j);
    int ti = dest_i_, tj = dest_j_;
    if (leg_ == Leg::kToRing) {
        ti = ring_in_i_;
        tj = ring_in_j_;
    }
    int here = Manhattan(i, j, ti, tj);
    City::Dir better[4], any[4];
    int n_better = 0, n_any = 0;
    bool straight_better = false;
    for (int k = 0; k < 4; ++k) {
        auto d = static_cast<City::Dir>(k);
        int ni = i + kDi[k], nj = j + kDj[k];
        if (d == Reverse(incoming) || !City::Inside(ni, nj)) continue;
        any[n_any++] = d;
        if (Manhattan(ni, nj, ti, tj) < here) {
            better[n_better++] = d;
            straight_better |= d == incoming;
        }
    }
    if (n_better > 0) {
        if (straight_better && rng_.Chance(0.6)) return incoming;
        return better[rng_.Int(0, n_better - 1)];
    }
    if (n_any == 0) return Reverse(incoming);  // cannot happen on a grid, but stay defined
    return any[rng_.Int(0, n_any - 1)];
}

City::Dir Vehicle::RingDir(int i, int j) const {
    if (ring_ccw_) {
        if (i == R && j < R) return City::kNorth;
        if (j == R && i > -R) return City::kWest;
        if (i == -R && j > -R) return City::kSouth;
        return City::kEast;
    }
    if (i == R && j > -R) return City::kSouth;
    if (j == -R && i > -R) return City::kWest;
    if (i == -R && j < R) return City::kNorth;
    return City::kEast;
}

double Vehicle::Drive(double h) {
    double rem = length_ - s_;
    if (!braking_) {
        // Brake from now on if after one more step of speeding up or cruising the braking distance
        // would be longer than what is left. Checked before the step, the deceleration never
        // exceeds the driver's limit; constant from the onset, it ends at the node at exactly
        // v_end_.
        double decel_limit = late_brake_ ? 4.5 : brake_;
        double v1 = std::min(cruise_, v_ + accel_ * h);
        braking_ = v1 > v_end_ &&
                   rem - 0.5 * (v_ + v1) * h <= (v1 * v1 - v_end_ * v_end_) / (2 * decel_limit);
        // About 0.36 g: what the device reports as harsh braking (IO 253 = 2).
        if (braking_ && v_ > v_end_ && (v_ * v_ - v_end_ * v_end_) / (2 * rem) > 3.5)
            event_harsh_ = true;
    }
    double used = h;
    double v1 = v_;
    double d = 0;
    if (braking_ && v_ > v_end_) {
        double decel = (v_ * v_ - v_end_ * v_end_) / (2 * std::max(rem, 0.01));
        double t = (v_ - v_end_) / decel;
        if (t <= h) {
            used = t;
            d = rem;
            v1 = v_end_;
        } else {
            v1 = v_ - decel * h;
            d = 0.5 * (v_ + v1) * h;
        }
    } else if (braking_) {  // already at the speed wanted at the node: roll on to it
        v1 = std::max(v_, 0.5);
        d = v1 * h;
    } else {
        double a = v_ < cruise_ ? std::min(accel_, (cruise_ - v_) / h)
                                : std::max(-brake_, (cruise_ - v_) / h);
        v1 = v_ + a * h;
        d = 0.5 * (v_ + v1) * h;
    }
    bool arrive = d >= rem;
    if (arrive) {
        if (d > rem) used *= rem / d;
        d = rem;
    }
    s_ += d;
    v_ = v1;
    odometer_m_ += d;
    trip_m_ += d;
    fuel_pct_ = std::max(3.0, fuel_pct_ - d * 0.00014);  // 7 l/100 km from a 50 l tank
    if (arrive) ArriveAtNode();
    return used;
}

void Vehicle::ArriveAtNode() {
    i_ += kDi[dir_];
    j_ += kDj[dir_];
    s_ = 0;
    switch (end_) {
        case EndAction::kPark: Park(); break;
        case EndAction::kStop:
            v_ = 0;
            mode_ = Mode::kWaiting;
            timer_s_ = rng_.Uniform(8, 50);
            break;
        case EndAction::kStraight:
        case EndAction::kTurn: StartSegment(next_dir_); break;
    }
}

void Vehicle::Park() {
    v_ = 0;
    mode_ = Mode::kParked;
    event_ignition_ = true;
    driver_ = 0;
    timer_s_ = rng_.Uniform(60, 900);
    parked_s_ = 0;
    if (fuel_pct_ < 15 && rng_.Chance(0.7)) fuel_pct_ = rng_.Uniform(85, 100);
}

Vehicle::Cell Vehicle::ServingCell() const {
    int ci = (i_ + City::kHalf) / 3, cj = (j_ + City::kHalf) / 3;
    return {208, 1, 0x2A00 + (ci / 4) * 4 + cj / 4, 0x10000 + ci * 64 + cj};
}

void Vehicle::UpdateSlowSignals() {
    if (rng_.Chance(0.05)) gsm_ = std::clamp(gsm_ + (rng_.Chance(0.5) ? 1 : -1), 2, 5);
    if (rng_.Chance(0.1))
        satellites_ = std::clamp(satellites_ + (rng_.Chance(0.5) ? 1 : -1), 6, 14);
}

Event Vehicle::Fill(core::Record& r, core::TimePoint device_time) {
    UpdateSlowSignals();
    double x = city_.StreetX(i_), y = city_.StreetY(j_);
    if (dir_ == City::kNorth || dir_ == City::kSouth) {
        y += (kDj[dir_] > 0 ? s_ : -s_);
    } else {
        x += (kDi[dir_] > 0 ? s_ : -s_);
    }
    LatLon p = city_.ToLatLon(x, y);
    bool on = ignition();
    bool moving = v_ > 0.1;

    r.device_time = device_time;
    r.server_time = {};
    r.lat = p.lat;
    r.lon = p.lon;
    r.altitude_m = std::round(180 + 25 * std::sin(x / 1700) + 20 * std::cos(y / 2300));
    r.speed_kmh = v_ * 3.6;
    r.course_deg = city_.CourseDeg(dir_);
    r.satellites = satellites_;
    double hdop = 0.7 + (14 - satellites_) * 0.12;
    r.hdop = hdop;
    r.valid = true;

    Event event = Event::kNone;
    if (event_ignition_) {
        event = on ? Event::kIgnitionOn : Event::kIgnitionOff;
        event_ignition_ = false;
    } else if (event_harsh_) {
        event = Event::kHarshBrake;
        event_harsh_ = false;
    }

    uint64_t noise = rng_.Next();
    uint64_t external_mv =
        on ? 13750 + noise % 451
           : 12400 + static_cast<uint64_t>(300 * std::exp(-parked_s_ / 7200)) + noise % 21;
    uint64_t battery_mv = 4080 + (noise >> 16) % 61;

    auto& io = r.io;
    io.clear();
    auto put = [&io](uint16_t id, uint8_t size, uint64_t value) {
        io.push_back({id, size, value, {}});
    };
    put(kIoIgnition, 1, on ? 1 : 0);
    put(kIoMovement, 1, moving ? 1 : 0);
    put(kIoGsmSignal, 1, static_cast<uint64_t>(gsm_));
    put(kIoGnssStatus, 1, 1);
    put(kIoDtcCount, 1, dtc_ != 0 ? 1 : 0);
    put(kIoFuelLevel, 1, static_cast<uint64_t>(fuel_pct_));
    if (event == Event::kHarshBrake) put(kIoGreenDriving, 1, 2);
    put(kIoExternalVoltage, 2, external_mv);
    put(kIoBatteryVoltage, 2, battery_mv);
    put(kIoSpeed, 2, static_cast<uint64_t>(std::lround(r.speed_kmh)));
    put(kIoPdop, 2, static_cast<uint64_t>(std::lround(hdop * 13)));
    put(kIoHdop, 2, static_cast<uint64_t>(std::lround(hdop * 10)));
    put(kIoOdometer, 4, static_cast<uint64_t>(odometer_m_));
    put(kIoTripOdometer, 4, static_cast<uint64_t>(trip_m_));
    put(kIoIButton, 8, driver_);
    if (dtc_ != 0) io.push_back({kIoDtcText, 0, 0, std::string(kDtcCodes[dtc_ - 1])});

    r.attributes.clear();
    if (event != Event::kNone) {
        r.attributes.push_back(
            {"event_io_id", int64_t{event == Event::kHarshBrake ? kIoGreenDriving : kIoIgnition}});
        r.attributes.push_back({"priority", int64_t{1}});
    }
    return event;
}

}  // namespace fleet::sim
