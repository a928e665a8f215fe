/** jaro-winkler 0.2.8 ships no types: the CommonJS export is the similarity function itself. */
declare module 'jaro-winkler' {
  /** Jaro–Winkler similarity in [0, 1] (1 = identical). */
  function distance(s1: string, s2: string, options?: { caseSensitive?: boolean }): number;
  export = distance;
}
