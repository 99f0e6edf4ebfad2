import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer option within [min, max]. */
export function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}
