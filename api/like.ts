// Searching text a person typed with SQL LIKE: their text matches literally, so % and _ are not wildcards.
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
