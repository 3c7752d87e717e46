//! Go's `text/tabwriter` as the docker CLI configures it for its tables
//! (`tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)`): each column as wide as its widest cell plus a
//! padding of 3, at least the minimum width, cells measured in runes, and the last column never
//! padded. Pure: rows of cells in, text out.

const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns rows of cells the way Go's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)` does.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    tabwrite_min(rows, MIN_WIDTH)
}

/// [`tabwrite`] with another minimum cell width (`docker top` uses 20).
pub fn tabwrite_min(rows: &[Vec<String>], min_width: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns.saturating_sub(1))
        .map(|col| {
            let widest = rows
                .iter()
                .filter_map(|r| r.get(col))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0);
            (widest + PADDING).max(min_width)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (col, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if col + 1 < row.len() {
                out.extend(std::iter::repeat_n(' ', widths[col] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn columns_pad_to_the_widest_cell_plus_three_and_at_least_ten() {
        let text = tabwrite(&[row(&["A", "B", "C"]), row(&["a-long-cell", "b", "c"])]);
        assert_eq!(
            text,
            "A             B         C\na-long-cell   b         c\n"
        );
    }

    #[test]
    fn cells_are_measured_in_runes_and_the_last_column_is_not_padded() {
        let text = tabwrite_min(&[row(&["\u{fc}\u{fc}", "x"]), row(&["y", ""])], 4);
        assert_eq!(text, "\u{fc}\u{fc}   x\ny    \n");
    }
}
