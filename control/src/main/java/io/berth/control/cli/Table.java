package io.berth.control.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with left-aligned columns three spaces apart, like Docker's. Used by one thread. */
final class Table
{
    private final List<String[]> rows = new ArrayList<>();

    Table(final String... header)
    {
        rows.add(header);
    }

    Table row(final String... cells)
    {
        rows.add(cells);
        return this;
    }

    void print(final PrintWriter out)
    {
        final int columns = rows.get(0).length;
        final int[] widths = new int[columns];
        for (final String[] row : rows)
        {
            for (int i = 0; i < columns; i++)
            {
                widths[i] = Math.max(widths[i], cell(row, i).length());
            }
        }
        for (final String[] row : rows)
        {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++)
            {
                line.append(cell(row, i));
                if (i < columns - 1)
                {
                    line.append(" ".repeat(widths[i] - cell(row, i).length() + 3));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    private static String cell(final String[] row, final int index)
    {
        return index < row.length && row[index] != null ? row[index] : "";
    }
}
