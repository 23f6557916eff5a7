//! British National Grid eastings and northings to latitude and longitude (WGS84).
//!
//! From Ordnance Survey, "A guide to coordinate systems in Great Britain" (v3.6):
//! - the grid is a Transverse Mercator projection of the OSGB36 datum on the Airy 1830
//!   ellipsoid (annex A, the projection constants; annex C, the formulae for grid to latitude
//!   and longitude);
//! - OSGB36 latitude and longitude are taken to cartesian coordinates (annex B), moved to WGS84
//!   by the guide's 7-parameter Helmert transformation (section 6.6), and taken back to
//!   latitude and longitude on GRS80/WGS84 by the iterative method of annex B.
//!
//! The Helmert transformation is good to a few metres across Great Britain (the guide quotes
//! 3.5 m at 95%), which is far finer than anything a register needs. OSTN15 would be good to
//! 0.1 m but needs a 15 MB grid of shifts. The tests check against the guide's worked example
//! and the OSTN15 developer pack's published test points.

/// Airy 1830: semi-major and semi-minor axes (metres).
const AIRY: (f64, f64) = (6_377_563.396, 6_356_256.909);
/// GRS80, which WGS84 matches to well under a millimetre here.
const GRS80: (f64, f64) = (6_378_137.000, 6_356_752.314_140);
/// The National Grid's scale on the central meridian.
const F0: f64 = 0.999_601_271_7;
/// True origin: 49°N, 2°W.
const PHI0: f64 = 49.0;
const LAMBDA0: f64 = -2.0;
/// False origin, metres.
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;

/// OSGB36 to WGS84: translations (m), scale (ppm) and rotations (arc seconds). The guide
/// gives the reverse (WGS84 to OSGB36); these are its negation, as the guide says to use.
const HELMERT: [f64; 7] = [446.448, -125.157, 542.060, -20.4894, 0.1502, 0.2470, 0.8421];

/// Grid references further out than these are not in Great Britain.
const MAX_EASTING: f64 = 700_000.0;
const MAX_NORTHING: f64 = 1_300_000.0;

/// Whether an easting and northing lie on the National Grid (in metres).
pub fn on_grid(easting: f64, northing: f64) -> bool {
    easting.is_finite()
        && northing.is_finite()
        && (0.0..=MAX_EASTING).contains(&easting)
        && (0.0..=MAX_NORTHING).contains(&northing)
}

/// The meridional arc M of the guide's formula C1.
fn meridional_arc(phi: f64) -> f64 {
    let (a, b) = AIRY;
    let n = (a - b) / (a + b);
    let (n2, n3) = (n * n, n * n * n);
    let phi0 = PHI0.to_radians();
    let (d, s) = (phi - phi0, phi + phi0);
    b * F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3.0 * n + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
            + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
            - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
}

/// The radii of curvature ν and ρ (scaled by F0) at latitude φ on Airy 1830.
fn radii(phi: f64) -> (f64, f64) {
    let (a, b) = AIRY;
    let e2 = (a * a - b * b) / (a * a);
    let w = 1.0 - e2 * phi.sin().powi(2);
    (a * F0 / w.sqrt(), a * F0 * (1.0 - e2) / w.powf(1.5))
}

/// OSGB36 latitude and longitude (degrees) of a grid reference: annex C.
pub fn grid_to_osgb36(easting: f64, northing: f64) -> (f64, f64) {
    let (a, _) = AIRY;
    let mut phi = PHI0.to_radians();
    let mut m = 0.0;
    // Converges to a hundredth of a millimetre within a few rounds.
    for _ in 0..20 {
        phi += (northing - N0 - m) / (a * F0);
        m = meridional_arc(phi);
        if (northing - N0 - m).abs() < 0.000_01 {
            break;
        }
    }
    let (nu, rho) = radii(phi);
    let eta2 = nu / rho - 1.0;
    let t = phi.tan();
    let (t2, t4, t6) = (t * t, t.powi(4), t.powi(6));
    let sec = 1.0 / phi.cos();
    let vii = t / (2.0 * rho * nu);
    let viii = t / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = t / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = easting - E0;
    let lat = phi - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon =
        LAMBDA0.to_radians() + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat.to_degrees(), lon.to_degrees())
}

/// The grid reference of an OSGB36 latitude and longitude (degrees): annex C's forward
/// formulae, used to check [`grid_to_osgb36`] against the guide's worked example.
pub fn osgb36_to_grid(lat: f64, lon: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let (nu, rho) = radii(phi);
    let eta2 = nu / rho - 1.0;
    let (s, c, t) = (phi.sin(), phi.cos(), phi.tan());
    let t2 = t * t;
    let t4 = t2 * t2;
    let i = meridional_arc(phi) + N0;
    let ii = nu / 2.0 * s * c;
    let iii = nu / 24.0 * s * c.powi(3) * (5.0 - t2 + 9.0 * eta2);
    let iiia = nu / 720.0 * s * c.powi(5) * (61.0 - 58.0 * t2 + t4);
    let iv = nu * c;
    let v = nu / 6.0 * c.powi(3) * (nu / rho - t2);
    let vi = nu / 120.0 * c.powi(5) * (5.0 - 18.0 * t2 + t4 + 14.0 * eta2 - 58.0 * t2 * eta2);
    let p = (lon - LAMBDA0).to_radians();
    let northing = i + ii * p.powi(2) + iii * p.powi(4) + iiia * p.powi(6);
    let easting = E0 + iv * p + v * p.powi(3) + vi * p.powi(5);
    (easting, northing)
}

/// Latitude and longitude (degrees, height 0) to cartesian coordinates on an ellipsoid.
fn to_cartesian((a, b): (f64, f64), lat: f64, lon: f64) -> [f64; 3] {
    let e2 = (a * a - b * b) / (a * a);
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    let nu = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
    [
        nu * phi.cos() * lambda.cos(),
        nu * phi.cos() * lambda.sin(),
        (1.0 - e2) * nu * phi.sin(),
    ]
}

/// Cartesian coordinates to latitude and longitude (degrees) on an ellipsoid.
fn from_cartesian((a, b): (f64, f64), [x, y, z]: [f64; 3]) -> (f64, f64) {
    let e2 = (a * a - b * b) / (a * a);
    let p = x.hypot(y);
    let mut phi = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
        phi = (z + e2 * nu * phi.sin()).atan2(p);
    }
    (phi.to_degrees(), y.atan2(x).to_degrees())
}

/// The Helmert transformation of section 6.6.
fn helmert([x, y, z]: [f64; 3]) -> [f64; 3] {
    let [tx, ty, tz, s, rx, ry, rz] = HELMERT;
    let s = s * 1e-6;
    let arcsec = |v: f64| (v / 3600.0).to_radians();
    let (rx, ry, rz) = (arcsec(rx), arcsec(ry), arcsec(rz));
    [
        tx + (1.0 + s) * x - rz * y + ry * z,
        ty + rz * x + (1.0 + s) * y - rx * z,
        tz - ry * x + rx * y + (1.0 + s) * z,
    ]
}

/// WGS84 latitude and longitude (degrees) of a National Grid easting and northing (metres).
pub fn grid_to_wgs84(easting: f64, northing: f64) -> (f64, f64) {
    let (lat, lon) = grid_to_osgb36(easting, northing);
    from_cartesian(GRS80, helmert(to_cartesian(AIRY, lat, lon)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two points a few metres apart.
    fn metres((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
        let k = ((lat1 + lat2) / 2.0).to_radians().cos();
        ((lat1 - lat2) * 111_320.0).hypot((lon1 - lon2) * 111_320.0 * k)
    }

    fn dms(d: f64, m: f64, s: f64) -> f64 {
        d + m / 60.0 + s / 3600.0
    }

    #[test]
    fn the_guides_worked_example_holds_to_a_millimetre() {
        // Annex C: φ = 52°39'27.2531"N, λ = 1°43'4.5177"E is E 651409.903, N 313177.270.
        let (lat, lon) = (dms(52.0, 39.0, 27.2531), dms(1.0, 43.0, 4.5177));
        let (e, n) = osgb36_to_grid(lat, lon);
        assert!((e - 651_409.903).abs() < 0.001, "{e}");
        assert!((n - 313_177.270).abs() < 0.001, "{n}");
        let back = grid_to_osgb36(651_409.903, 313_177.270);
        assert!(metres(back, (lat, lon)) < 0.001, "{back:?}");
    }

    /// OSTN15 developer pack test points (Ordnance Survey, OGL): the grid reference and the
    /// ETRS89 position, which WGS84 matches to within a metre.
    const OSTN15: &[(&str, f64, f64, f64, f64)] = &[
        (
            "TP03",
            250_359.811,
            62_016.569,
            50.438_858_256_10,
            -4.108_645_635_61,
        ),
        (
            "TP04",
            449_816.371,
            75_335.861,
            50.575_636_650_00,
            -1.297_822_772_40,
        ),
        (
            "TP05",
            438_710.920,
            114_792.250,
            50.931_279_379_10,
            -1.450_514_337_00,
        ),
        (
            "TP06",
            292_184.870,
            168_003.465,
            51.400_782_201_40,
            -3.551_283_492_40,
        ),
        (
            "TP07",
            639_821.835,
            169_565.858,
            51.374_470_255_50,
            1.444_547_304_09,
        ),
        (
            "TP08",
            362_269.991,
            169_978.690,
            51.427_547_430_20,
            -2.544_076_183_49,
        ),
        (
            "TP09",
            530_624.974,
            178_388.464,
            51.489_365_649_50,
            -0.119_925_571_80,
        ),
        (
            "TP10",
            241_124.584,
            220_332.641,
            51.858_908_964_00,
            -4.308_524_769_60,
        ),
        (
            "TP11",
            599_445.590,
            225_722.826,
            51.894_366_373_50,
            0.897_243_270_12,
        ),
        (
            "TP12",
            389_544.190,
            261_912.153,
            52.255_293_816_30,
            -2.154_586_143_87,
        ),
        (
            "TP20",
            422_242.186,
            433_818.701,
            53.800_215_196_30,
            -1.663_791_682_42,
        ),
    ];

    #[test]
    fn published_control_points_come_within_a_few_metres() {
        for &(id, e, n, lat, lon) in OSTN15 {
            let got = grid_to_wgs84(e, n);
            let d = metres(got, (lat, lon));
            assert!(d < 5.0, "{id}: {d:.2} m off ({got:?})");
            // Without the datum shift the point is far off: the transformation is doing work.
            assert!(metres(grid_to_osgb36(e, n), (lat, lon)) > 50.0, "{id}");
        }
    }

    #[test]
    fn the_grid_bounds_refuse_what_is_not_great_britain() {
        assert!(on_grid(530_624.974, 178_388.464));
        assert!(!on_grid(-1.0, 100.0));
        assert!(!on_grid(800_000.0, 100.0));
        assert!(!on_grid(f64::NAN, 100.0));
    }
}
