//! The dashboard's chart of notifications per day: stacked bars per channel, each channel drawn
//! with its own pattern as well as its own colour, the total written above each bar. The
//! geometry is computed here; the template draws it as inline SVG next to a data table.

/// One day's notifications by channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    /// `2026-01-31`, for `<time datetime>` and the table.
    pub iso: String,
    /// `31/01`, under the bar.
    pub short: String,
    pub email: i64,
    pub sms: i64,
    pub letter: i64,
}

impl Day {
    pub fn total(&self) -> i64 {
        self.email + self.sms + self.letter
    }
}

/// A part of a bar: one channel's count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub y: i64,
    pub height: i64,
    /// The id of the fill pattern (`notify-fill-email`, …).
    pub fill: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub x: i64,
    pub segments: Vec<Segment>,
    /// Where the total and the day's label are written (centre of the bar).
    pub centre: i64,
    pub total_y: i64,
    pub total: i64,
    pub short: String,
}

/// The chart's geometry in its own units (the SVG scales with `viewBox`).
#[derive(Clone, Debug)]
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub baseline: i64,
    pub label_y: i64,
    pub bar_width: i64,
    pub bars: Vec<Bar>,
}

pub const WIDTH: i64 = 720;
pub const HEIGHT: i64 = 240;
const TOP: i64 = 24;
const BASELINE: i64 = 200;
const SIDE: i64 = 10;

/// Lay the days out left to right, oldest first; the tallest bar fills the plot's height.
pub fn layout(days: &[Day]) -> Chart {
    let max = days.iter().map(Day::total).max().unwrap_or(0);
    let slot = if days.is_empty() { 0 } else { (WIDTH - 2 * SIDE) / days.len() as i64 };
    let bar_width = (slot * 2 / 3).max(1);
    let plot = BASELINE - TOP;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let x = SIDE + i as i64 * slot + (slot - bar_width) / 2;
            let mut top = BASELINE;
            let mut segments = Vec::new();
            // Heights are cumulative so that rounding never makes a bar taller than its total.
            let mut running = 0;
            for (count, fill) in
                [(day.email, "notify-fill-email"), (day.sms, "notify-fill-sms"), (day.letter, "notify-fill-letter")]
            {
                if count == 0 {
                    continue;
                }
                running += count;
                let y = BASELINE - scale(running, max, plot);
                if top > y {
                    segments.push(Segment { y, height: top - y, fill });
                    top = y;
                }
            }
            Bar {
                x,
                segments,
                centre: x + bar_width / 2,
                total_y: top - 6,
                total: day.total(),
                short: day.short.clone(),
            }
        })
        .collect();
    Chart { width: WIDTH, height: HEIGHT, baseline: BASELINE, label_y: BASELINE + 22, bar_width, bars }
}

/// `value` of `max` in `plot` units, at least one unit for any non-zero value.
fn scale(value: i64, max: i64, plot: i64) -> i64 {
    if max == 0 || value == 0 {
        return 0;
    }
    ((value * plot + max / 2) / max).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u8, email: i64, sms: i64, letter: i64) -> Day {
        Day { iso: format!("2026-01-{n:02}"), short: format!("{n:02}/01"), email, sms, letter }
    }

    #[test]
    fn the_busiest_day_fills_the_plot_and_segments_stack() {
        let chart = layout(&[day(1, 10, 0, 0), day(2, 40, 30, 10), day(3, 0, 0, 0)]);
        assert_eq!(chart.bars.len(), 3);
        let busiest = &chart.bars[1];
        assert_eq!(busiest.total, 80);
        let top = busiest.segments.last().expect("segments").y;
        assert_eq!(top, TOP, "the tallest bar reaches the top of the plot");
        assert_eq!(busiest.segments.iter().map(|s| s.height).sum::<i64>(), BASELINE - TOP);
        let fills: Vec<&str> = busiest.segments.iter().map(|s| s.fill).collect();
        assert_eq!(fills, ["notify-fill-email", "notify-fill-sms", "notify-fill-letter"]);
        // Each segment starts where the one below ends.
        for pair in busiest.segments.windows(2) {
            assert_eq!(pair[0].y, pair[1].y + pair[1].height);
        }
        assert_eq!(chart.bars[0].segments[0].height, 22, "10 of 80 is an eighth of 176");
        assert!(chart.bars[2].segments.is_empty(), "an empty day has no bar");
        assert!(chart.bars[0].x < chart.bars[1].x && chart.bars[1].x < chart.bars[2].x);
        assert!(chart.bars[2].x + chart.bar_width <= WIDTH);
    }

    #[test]
    fn small_counts_stay_visible_and_nothing_divides_by_zero() {
        let chart = layout(&[day(1, 1, 0, 0), day(2, 100_000, 0, 0)]);
        assert_eq!(chart.bars[0].segments[0].height, 1);
        let empty = layout(&[day(1, 0, 0, 0)]);
        assert!(empty.bars[0].segments.is_empty());
        assert!(layout(&[]).bars.is_empty());
    }
}
