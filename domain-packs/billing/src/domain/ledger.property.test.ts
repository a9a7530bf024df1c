/**
 * Property tests of the ledger: for any sequence of bills, payments, prepayments, credit notes, refunds,
 * reversals, late fees and waivers, every fen is accounted for. The expected totals are tracked here, outside
 * the model, from what the test asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from './dates.js';
import { AccountModel, LedgerError, allocateOldestFirst, compareIds, type OpenCharge } from './ledger.js';

const fen = fc.bigInt({ min: 1n, max: 50_000n });
type Op =
  | { op: 'issue'; amount: bigint; due: number }
  | { op: 'lateFee'; charge: number; amount: bigint; due: number }
  | { op: 'pay' | 'prepay' | 'creditNote'; amount: bigint }
  | { op: 'refund'; amount: bigint }
  | { op: 'reverse'; payment: number; refunded: boolean }
  | { op: 'waive'; charge: number; amount: bigint }
  | { op: 'applyCredit' }
  | { op: 'prepayMarked'; amount: bigint }
  | { op: 'reverseMarked' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('issue' as const), amount: fen, due: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lateFee' as const), charge: fc.nat(), amount: fc.bigInt({ min: 1n, max: 2000n }), due: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('pay' as const, 'prepay' as const, 'creditNote' as const), amount: fen }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('refund' as const), amount: fen }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('reverse' as const), payment: fc.nat(), refunded: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('waive' as const), charge: fc.nat(), amount: fen }) },
  { weight: 1, arbitrary: fc.constant({ op: 'applyCredit' as const }) },
);

const snapshot = (a: AccountModel) => ({ balance: a.balance(), charges: a.charges(), payments: a.payments(), movements: a.movements().length });

function run(ops: Op[], applyCreditOnIssue: boolean) {
  const a = new AccountModel({ applyCreditOnIssue });
  const chargeIds: string[] = [];
  const paymentIds: { id: string; amount: bigint }[] = [];
  const reversedIds = new Set<string>();
  let marked: string | null = null;
  const t = { issued: 0n, received: 0n, reversed: 0n, refunded: 0n, waived: 0n };

  for (const o of ops) {
    const before = snapshot(a);
    let refused: unknown = null;
    try {
      switch (o.op) {
        case 'issue':
          chargeIds.push(a.issueCharge(o.amount, addDays('2026-01-31', o.due)));
          t.issued += o.amount;
          break;
        case 'lateFee': {
          if (chargeIds.length === 0) continue;
          chargeIds.push(a.lateFee(chargeIds[o.charge % chargeIds.length]!, o.amount, addDays('2026-01-31', o.due)));
          t.issued += o.amount;
          break;
        }
        case 'pay':
        case 'prepay':
        case 'creditNote': {
          const { paymentId, allocatedFen, creditFen } = a[o.op](o.amount);
          expect(allocatedFen + creditFen).toBe(o.amount);
          paymentIds.push({ id: paymentId, amount: o.amount });
          t.received += o.amount;
          break;
        }
        case 'refund': {
          const credit = before.balance.creditFen;
          // Three times in four ask for at most the credit, so refunds do happen.
          const amount = credit > 0n && o.amount % 4n !== 0n ? ((o.amount - 1n) % credit) + 1n : o.amount;
          try {
            a.refund(amount);
          } catch (e) {
            expect(amount > credit, 'a refund within the credit was refused').toBe(true);
            throw e;
          }
          expect(amount <= credit, 'a refund above the credit was taken').toBe(true);
          t.refunded += amount;
          break;
        }
        case 'prepayMarked': {
          marked = a.prepay(o.amount).paymentId;
          paymentIds.push({ id: marked, amount: o.amount });
          t.received += o.amount;
          break;
        }
        case 'reverse':
        case 'reverseMarked': {
          // Half of the time pick a payment part of which was refunded: the hard case.
          const refunded = new Set(before.payments.filter((x) => x.refundedFen > 0n).map((x) => x.id));
          const candidates =
            o.op === 'reverseMarked' ? paymentIds.filter((x) => x.id === marked) : o.refunded && refunded.size > 0 ? paymentIds.filter((x) => refunded.has(x.id)) : paymentIds;
          if (candidates.length === 0) continue;
          const p = candidates[o.op === 'reverseMarked' ? 0 : o.payment % candidates.length]!;
          // Refused only when already reversed, or when the other live payments cannot cover the refunds.
          const othersLive = paymentIds.filter((x) => x.id !== p.id && !reversedIds.has(x.id)).reduce((s, x) => s + x.amount, 0n);
          const shouldRefuse = reversedIds.has(p.id) || t.refunded > othersLive;
          try {
            a.reverse(p.id);
          } catch (e) {
            expect(shouldRefuse, 'a possible reversal was refused').toBe(true);
            throw e;
          }
          expect(shouldRefuse, 'an impossible reversal was done').toBe(false);
          reversedIds.add(p.id);
          t.reversed += p.amount;
          break;
        }
        case 'waive': {
          if (chargeIds.length === 0) continue;
          const id = chargeIds[o.charge % chargeIds.length]!;
          const outstanding = before.charges.find((c) => c.id === id)!;
          const open = outstanding.amountFen - outstanding.paidFen - outstanding.waivedFen;
          const amount = open > 0n && o.amount % 2n === 0n ? ((o.amount - 1n) % open) + 1n : o.amount;
          try {
            a.waive(id, amount);
          } catch (e) {
            expect(amount > open, 'a waiver within the outstanding amount was refused').toBe(true);
            throw e;
          }
          expect(amount <= open).toBe(true);
          t.waived += amount;
          break;
        }
        case 'applyCredit':
          a.applyCredit();
          break;
      }
    } catch (e) {
      if (!(e instanceof LedgerError)) throw e;
      refused = e;
    }
    if (refused) expect(snapshot(a), 'a refused operation changed the account').toEqual(before);
    check(a, t, applyCreditOnIssue);
  }
  return { a, t };
}

function check(a: AccountModel, t: { issued: bigint; received: bigint; reversed: bigint; refunded: bigint; waived: bigint }, auto: boolean) {
  const b = a.balance();
  // The totals are what was asked for.
  expect([b.chargesFen, b.paymentsFen, b.reversedFen, b.refundsFen, b.waivedFen]).toEqual([t.issued, t.received, t.reversed, t.refunded, t.waived]);
  // The identity.
  expect(b.outstandingFen - b.creditFen).toBe(t.issued - t.waived - (t.received - t.reversed) + t.refunded);
  expect(b.creditFen >= 0n).toBe(true);
  expect(b.outstandingFen >= 0n).toBe(true);

  const charges = a.charges();
  const payments = a.payments();
  const allocatedTo = new Map<string, bigint>();
  let liveReceived = 0n;
  let credit = 0n;
  for (const p of payments) {
    let allocated = 0n;
    for (const [chargeId, amount] of p.allocations) {
      expect(amount > 0n).toBe(true);
      allocatedTo.set(chargeId, (allocatedTo.get(chargeId) ?? 0n) + amount);
      allocated += amount;
    }
    if (p.reversed) {
      expect(p.allocations.size).toBe(0);
      expect(p.refundedFen).toBe(0n);
      continue;
    }
    expect(allocated + p.refundedFen <= p.amountFen, 'a payment allocated or refunded more than it brought').toBe(true);
    expect(p.refundedFen >= 0n).toBe(true);
    liveReceived += p.amountFen;
    credit += p.amountFen - p.refundedFen - allocated;
  }
  let outstanding = 0n;
  let allocated = 0n;
  for (const c of charges) {
    const paid = allocatedTo.get(c.id) ?? 0n;
    expect(c.paidFen).toBe(paid);
    expect(paid + c.waivedFen <= c.amountFen, 'allocations exceed a charge').toBe(true);
    outstanding += c.amountFen - c.waivedFen - paid;
    allocated += paid;
  }
  expect(b.outstandingFen).toBe(outstanding);
  expect(b.creditFen).toBe(credit);
  expect(b.allocatedFen).toBe(allocated);
  // No fen appears or disappears: money in = refunded + credit + allocated; charges = outstanding + waived + allocated.
  expect(liveReceived).toBe(t.refunded + credit + allocated);
  expect(payments.reduce((s, p) => s + p.refundedFen, 0n)).toBe(t.refunded);
  expect(t.issued).toBe(outstanding + t.waived + allocated);
  // The movement log reconciles with the balance.
  const sum = (kind: string) => a.movements().filter((m) => m.kind === kind).reduce((s, m) => s + m.amountFen, 0n);
  expect(sum('charge')).toBe(b.chargesFen);
  expect(sum('payment')).toBe(b.paymentsFen);
  expect(sum('reverse')).toBe(b.reversedFen);
  expect(sum('refund')).toBe(b.refundsFen);
  expect(sum('waive')).toBe(b.waivedFen);
  expect(sum('allocate') - sum('release')).toBe(b.allocatedFen);
  // With credit applied on issue, credit never sits beside open charges.
  if (auto) expect(b.creditFen === 0n || b.outstandingFen === 0n).toBe(true);
}

describe('AccountModel under any sequence of operations', () => {
  it('keeps the identity and accounts for every fen (credit applied on issue)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => void run(ops, true)), { numRuns: 300 });
  });

  it('keeps the identity and accounts for every fen (credit applied by hand)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => void run(ops, false)), { numRuns: 300 });
  });

  it('reversing a payment part of which was refunded, after other money paid newer charges', () => {
    // The hard case of `reverse`: the refund must move onto money another payment had allocated.
    const scenario = fc
      .tuple(
        fc.array(opArb, { maxLength: 10 }),
        fen,
        fc.bigInt({ min: 1n, max: 10_000n }),
        fc.array(fc.record({ op: fc.constant('issue' as const), amount: fen, due: fc.integer({ min: 0, max: 400 }) }), { minLength: 1, maxLength: 3 }),
        fen,
        fc.array(opArb, { maxLength: 5 }),
        fc.boolean(),
      )
      .map(([prefix, prepay, refund, issues, pay, suffix, auto]) => ({
        auto,
        ops: [
          ...prefix,
          { op: 'prepayMarked' as const, amount: prepay },
          { op: 'refund' as const, amount: refund * 4n + 1n }, // not a multiple of 4: clamped into the credit
          ...issues,
          { op: 'pay' as const, amount: pay },
          ...suffix,
          { op: 'reverseMarked' as const },
        ],
      }));
    fc.assert(fc.property(scenario, ({ ops, auto }) => void run(ops, auto)), { numRuns: 400 });
  });

  it('pays everything when enough money comes in', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { a } = run(ops, true);
        const { outstandingFen } = a.balance();
        if (outstandingFen > 0n) a.pay(outstandingFen);
        expect(a.balance().outstandingFen).toBe(0n);
        expect(a.open()).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('allocateOldestFirst', () => {
  const charge = fc.record({
    id: fc.integer({ min: 1, max: 10_000 }).map(String),
    dueDate: fc.integer({ min: 0, max: 60 }).map((d) => addDays('2026-01-01', d)),
    outstandingFen: fc.bigInt({ min: -100n, max: 100_000n }),
  });
  const charges = fc.uniqueArray(charge, { selector: (c) => c.id, maxLength: 20 });

  it('conserves money and pays strictly oldest first', () => {
    fc.assert(
      fc.property(charges, fc.bigInt({ min: 0n, max: 1_000_000n }), (list: OpenCharge[], amount) => {
        const { allocations, remainderFen } = allocateOldestFirst(list, amount);
        expect(remainderFen >= 0n).toBe(true);
        expect(allocations.reduce((s, x) => s + x.amountFen, 0n) + remainderFen).toBe(amount);
        const sorted = [...list]
          .filter((c) => c.outstandingFen > 0n)
          .sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : compareIds(a.id, b.id)));
        // The allocations are a prefix of the oldest-first order: all but the last pay their charge in full.
        expect(allocations.map((x) => x.chargeId)).toEqual(sorted.slice(0, allocations.length).map((c) => c.id));
        allocations.forEach((x, i) => {
          const c = sorted[i]!;
          expect(x.amountFen > 0n).toBe(true);
          expect(x.amountFen <= c.outstandingFen).toBe(true);
          if (i < allocations.length - 1) expect(x.amountFen).toBe(c.outstandingFen);
        });
        // Money is left over only when every charge is paid in full.
        if (remainderFen > 0n) expect(allocations.length).toBe(sorted.length);
        if (allocations.length < sorted.length) expect(remainderFen).toBe(0n);
      }),
      { numRuns: 500 },
    );
  });
});
