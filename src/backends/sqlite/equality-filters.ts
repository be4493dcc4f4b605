/**
 * `column = @column` conditions (and their named arguments) for every filter that is given, so a
 * query over optional filters (list, stats, redrive, usage) is built one way. Column names come
 * from code, never from input.
 */
export function equalityFilters(filters: Record<string, string | undefined>): { where: string[]; args: Record<string, unknown> } {
  const where: string[] = [];
  const args: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    where.push(`${column} = @${column}`);
    args[column] = value;
  }
  return { where, args };
}
