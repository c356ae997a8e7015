// Reference check digits for the PII tests, written independently of sdk-core/src/pii.ts so that
// the masker's own checks are never tested against themselves.

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** The 18th character of a resident ID number (GB 11643-1999) for its first 17 digits. */
export const idCheckChar = (first17: string): string => {
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * (GB11643_WEIGHTS[i] ?? 0), 0);
  return '10X98765432'.charAt(sum % 11);
};

/** A whole resident ID number from its first 17 digits. */
export const makeId = (first17: string): string => first17 + idCheckChar(first17);

/** Whether a digit string passes the Luhn check. */
export const luhnValid = (digits: string): boolean => {
  let sum = 0;
  [...digits].reverse().forEach((c, i) => {
    const v = Number(c) * (i % 2 === 1 ? 2 : 1);
    sum += v > 9 ? v - 9 : v;
  });
  return sum % 10 === 0;
};

/** `prefix` plus the digit that makes it pass Luhn. */
export const makeLuhn = (prefix: string): string => {
  for (let d = 0; d <= 9; d++) if (luhnValid(prefix + d)) return prefix + d;
  throw new Error('unreachable');
};
