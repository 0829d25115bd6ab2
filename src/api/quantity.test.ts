import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_NUMERIC_ERROR,
  QUANTITY_SUFFIX_ERROR,
  quantityError,
  quantityMilliValue,
  quantityValue,
} from './quantity.js';

describe('parseQuantity', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['0', 0],
    ['1', 1],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1.', 1],
    ['+1', 1],
    ['-1', -1],
    ['100n', 1e-7],
    ['250u', 0.00025],
    ['2k', 2000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['128Mi', 134217728],
    ['1Ki', 1024],
    ['1.5Gi', 1610612736],
    ['1Ti', 1024 ** 4],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['12e+2', 1200],
    [2, 2],
    [0.25, 0.25],
    ['', undefined],
    ['abc', undefined],
    ['1K', undefined],
    ['1Kb', undefined],
    ['12Qi', undefined],
    ['1e', undefined],
    [' 1', undefined],
    ['1 ', undefined],
    ['1..5', undefined],
    [null, undefined],
    [{}, undefined],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${want}`, () => {
      const got = parseQuantity(input);
      if (want === undefined) assert.equal(got, undefined);
      else assert.ok(got !== undefined && Math.abs(got - want) <= Math.abs(want) * 1e-12, `got ${got}`);
    });
  }
});

describe('quantityError', () => {
  const cases: Array<[unknown, string | undefined]> = [
    ['100m', undefined],
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1Kb', QUANTITY_FORMAT_ERROR],
    ['1K', QUANTITY_SUFFIX_ERROR],
    ['1e', QUANTITY_SUFFIX_ERROR],
    ['1.2.3', QUANTITY_NUMERIC_ERROR],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)}`, () => assert.equal(quantityError(input), want));
  }
});

describe('canonicalQuantity (Quantity.String())', () => {
  const cases: Array<[unknown, string]> = [
    ['0', '0'],
    ['0.0', '0'],
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1500', '1500'],
    ['2000', '2k'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['512Ki', '512Ki'],
    ['100Ki', '100Ki'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1e-3', '1e-3'],
    ['100u', '100u'],
    ['1G', '1G'],
    ['1000M', '1G'],
    [1, '1'],
    [0.1, '100m'],
    ['0.0001', '100u'],
    ['-500m', '-500m'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(canonicalQuantity(input), want));
  }
});

describe('milli and integer values round up like Kubernetes', () => {
  const cases: Array<[string, number, number]> = [
    ['100m', 100, 1],
    ['1', 1000, 1],
    ['1.5', 1500, 2],
    ['0.0001', 1, 1],
    ['128Mi', 134217728000, 134217728],
  ];
  for (const [input, milli, value] of cases) {
    it(input, () => {
      assert.equal(quantityMilliValue(input), milli);
      assert.equal(quantityValue(input), value);
    });
  }
});

describe('compareQuantities', () => {
  const cases: Array<[unknown, unknown, -1 | 0 | 1 | undefined]> = [
    ['500m', '0.5', 0],
    ['1', '1000m', 0],
    ['1Gi', '1G', 1],
    ['100Mi', '1Gi', -1],
    ['0.3', '300m', 0],
    ['x', '1', undefined],
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b}`, () => assert.equal(compareQuantities(a, b), want));
  }
});
