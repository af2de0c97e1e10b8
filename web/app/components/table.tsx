// The header row every console table starts with; the tables differ only in their column names.

/** A table's header: one cell a column, in order; '' for a column with no name (a row's buttons). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name, i) => (
          <th key={i}>{name}</th>
        ))}
      </tr>
    </thead>
  );
}
