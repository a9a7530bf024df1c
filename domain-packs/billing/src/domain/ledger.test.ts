import { describe, expect, it } from 'vitest';
import { AccountModel, LedgerError, allocateOldestFirst, type AccountBalance } from './ledger.js';

/** The identity every balance keeps. */
function expectIdentity(b: AccountBalance) {
  expect(b.outstandingFen - b.creditFen).toBe(b.chargesFen - b.waivedFen - (b.paymentsFen - b.reversedFen) + b.refundsFen);
  expect(b.creditFen >= 0n).toBe(true);
}

describe('allocateOldestFirst', () => {
  const charges = [
    { id: '12', dueDate: '2026-04-30', outstandingFen: 5000n },
    { id: '10', dueDate: '2026-03-31', outstandingFen: 3000n },
    { id: '11', dueDate: '2026-03-31', outstandingFen: 2000n },
    { id: '9', dueDate: '2026-05-31', outstandingFen: 0n },
  ];

  it('pays the oldest due date first, then the lowest id (numerically)', () => {
    expect(allocateOldestFirst(charges, 4000n)).toEqual({
      allocations: [
        { chargeId: '10', amountFen: 3000n },
        { chargeId: '11', amountFen: 1000n },
      ],
      remainderFen: 0n,
    });
    expect(allocateOldestFirst(charges, 12_000n)).toEqual({
      allocations: [
        { chargeId: '10', amountFen: 3000n },
        { chargeId: '11', amountFen: 2000n },
        { chargeId: '12', amountFen: 5000n },
      ],
      remainderFen: 2000n,
    });
    expect(allocateOldestFirst(charges, 0n)).toEqual({ allocations: [], remainderFen: 0n });
    expect(allocateOldestFirst([], 700n)).toEqual({ allocations: [], remainderFen: 700n });
  });

  it('refuses a negative amount or a number', () => {
    expect(() => allocateOldestFirst(charges, -1n)).toThrow(RangeError);
    // @ts-expect-error money is never a number
    expect(() => allocateOldestFirst(charges, 100)).toThrow(TypeError);
  });
});

describe('AccountModel', () => {
  it('a payment pays the oldest charges, the rest is credit, used by the next bill', () => {
    const a = new AccountModel();
    const jan = a.issueCharge(5000n, '2026-02-28');
    const feb = a.issueCharge(4000n, '2026-03-31');
    expect(a.pay(7000n)).toMatchObject({ allocatedFen: 7000n, creditFen: 0n });
    expect(a.open()).toEqual([{ id: feb, dueDate: '2026-03-31', outstandingFen: 2000n }]);
    expect(a.pay(3000n)).toMatchObject({ allocatedFen: 2000n, creditFen: 1000n });
    expect(a.charges().find((c) => c.id === jan)!.paidFen).toBe(5000n);
    const mar = a.issueCharge(4500n, '2026-04-30'); // the 10.00 元 of credit is deducted on issue
    expect(a.open()).toEqual([{ id: mar, dueDate: '2026-04-30', outstandingFen: 3500n }]);
    expect(a.balance()).toEqual({
      chargesFen: 13_500n,
      paymentsFen: 10_000n,
      reversedFen: 0n,
      refundsFen: 0n,
      waivedFen: 0n,
      allocatedFen: 10_000n,
      outstandingFen: 3500n,
      creditFen: 0n,
    });
    expectIdentity(a.balance());
  });

  it('a prepayment with nothing open is credit; without applyCreditOnIssue it waits for applyCredit', () => {
    const a = new AccountModel({ applyCreditOnIssue: false });
    a.prepay(10_000n);
    const c = a.issueCharge(6000n, '2026-03-31');
    expect(a.balance()).toMatchObject({ outstandingFen: 6000n, creditFen: 10_000n });
    expect(a.applyCredit()).toBe(6000n);
    expect(a.balance()).toMatchObject({ outstandingFen: 0n, creditFen: 4000n });
    expect(a.charges().find((x) => x.id === c)!.paidFen).toBe(6000n);
    expectIdentity(a.balance());
  });

  it('a credit adjustment (credit note) after the bill was paid becomes credit for the next bill', () => {
    // March bill 100.00 元 paid in full; on review 30.00 元 of it was wrong (a meter misread): a credit note of
    // 30.00 元. Nothing is open, so it is credit; April's 50.00 元 bill takes it, leaving 20.00 元 to pay.
    const a = new AccountModel();
    a.issueCharge(10_000n, '2026-04-30');
    a.pay(10_000n);
    expect(a.creditNote(3000n)).toMatchObject({ allocatedFen: 0n, creditFen: 3000n });
    expect(a.balance()).toMatchObject({ outstandingFen: 0n, creditFen: 3000n });
    const april = a.issueCharge(5000n, '2026-05-31');
    expect(a.open()).toEqual([{ id: april, dueDate: '2026-05-31', outstandingFen: 2000n }]);
    expect(a.balance()).toMatchObject({ chargesFen: 15_000n, paymentsFen: 13_000n, outstandingFen: 2000n, creditFen: 0n });
    expectIdentity(a.balance());
    // A credit note while a bill is open pays it directly.
    expect(a.creditNote(500n)).toMatchObject({ allocatedFen: 500n, creditFen: 0n });
    expect(a.balance().outstandingFen).toBe(1500n);
  });

  it('late fees are charges; waivers forgive only what is outstanding', () => {
    const a = new AccountModel();
    const bill = a.issueCharge(10_000n, '2026-03-31');
    const fee = a.lateFee(bill, 300n, '2026-04-30');
    expect(() => a.waive(fee, 301n)).toThrow(LedgerError);
    a.waive(fee, 300n);
    a.pay(4000n);
    expect(() => a.waive(bill, 6001n)).toThrow(/exceeds/);
    a.waive(bill, 6000n);
    expect(a.open()).toEqual([]);
    expect(a.balance()).toMatchObject({ chargesFen: 10_300n, waivedFen: 6300n, outstandingFen: 0n, creditFen: 0n });
    expectIdentity(a.balance());
    expect(() => a.lateFee('999', 1n, '2026-04-30')).toThrow(/no charge/);
  });

  it('refunds only up to the credit', () => {
    const a = new AccountModel();
    a.issueCharge(3000n, '2026-03-31');
    a.pay(5000n);
    expect(() => a.refund(2001n)).toThrow(/exceeds the credit of 2000/);
    a.refund(1500n);
    expect(a.balance()).toMatchObject({ refundsFen: 1500n, creditFen: 500n, outstandingFen: 0n });
    expectIdentity(a.balance());
  });

  it('reversing a payment re-opens the charges it paid', () => {
    const a = new AccountModel();
    const c1 = a.issueCharge(3000n, '2026-03-31');
    const c2 = a.issueCharge(3000n, '2026-04-30');
    const p1 = a.pay(4000n).paymentId;
    a.pay(2500n); // pays 2000 of c2, 500 credit
    expect(a.reverse(p1)).toEqual({ reopenedFen: 3500n }); // 4000 released, the 500 credit re-applied
    expect(a.open()).toEqual([
      { id: c1, dueDate: '2026-03-31', outstandingFen: 2500n },
      { id: c2, dueDate: '2026-04-30', outstandingFen: 1000n },
    ]);
    expect(a.balance()).toMatchObject({ paymentsFen: 6500n, reversedFen: 4000n, creditFen: 0n, outstandingFen: 3500n });
    expectIdentity(a.balance());
    expect(() => a.reverse(p1)).toThrow(/already reversed/);
    expect(() => a.reverse('999')).toThrow(/no payment/);
  });

  it('reversing a refunded payment moves the refund onto other money, re-opening charges, or is refused', () => {
    const a = new AccountModel();
    const p1 = a.pay(5000n).paymentId; // credit 5000
    a.refund(2000n); // drawn from p1: credit 3000
    const c1 = a.issueCharge(3000n, '2026-03-31'); // paid by p1's credit
    const p2 = a.pay(1000n).paymentId; // credit 1000
    // Reversing p1 would release its 3000 allocation, and its refunded 2000 must then come from other money:
    // p2 holds only 1000 in all (free or allocated), less than 2000 → refused, nothing changes.
    expect(() => a.reverse(p1)).toThrow(LedgerError);
    expect(a.balance()).toMatchObject({ outstandingFen: 0n, creditFen: 1000n, reversedFen: 0n });
    const p3 = a.pay(4000n).paymentId; // credit 5000 (p2 1000 + p3 4000)
    const before = a.balance();
    expect(before.creditFen).toBe(5000n);
    const { reopenedFen } = a.reverse(p1);
    // c1 re-opened (3000); the 2000 refunded is re-attributed to p3's free money (newest first): credit
    // 5000 − 2000 = 3000, which then pays c1 again, so nothing stays re-opened.
    expect(reopenedFen).toBe(0n);
    expect(a.open()).toEqual([]);
    expect(a.charges().find((c) => c.id === c1)!.paidFen).toBe(3000n);
    expect(a.balance()).toMatchObject({ paymentsFen: 10_000n, reversedFen: 5000n, refundsFen: 2000n, outstandingFen: 0n, creditFen: 0n });
    expectIdentity(a.balance());
    const payments = a.payments();
    expect(payments.find((p) => p.id === p3)!.refundedFen + payments.find((p) => p.id === p2)!.refundedFen).toBe(2000n);
  });

  it('a refund re-attributed to money another payment had allocated re-opens the newest charge', () => {
    const a = new AccountModel();
    const p1 = a.prepay(5000n).paymentId; // credit 5000
    a.refund(2000n); // from p1: credit 3000
    const c1 = a.issueCharge(3000n, '2026-03-31'); // paid by p1
    const c2 = a.issueCharge(3000n, '2026-04-30');
    const p2 = a.pay(3000n).paymentId; // pays c2
    // Reversing p1 releases c1 (3000); its refunded 2000 must come from p2, which has no free money, so
    // 2000 of p2's allocation to c2 (the newest charge) is released as well.
    expect(a.reverse(p1)).toEqual({ reopenedFen: 5000n });
    expect(a.open()).toEqual([
      { id: c1, dueDate: '2026-03-31', outstandingFen: 3000n },
      { id: c2, dueDate: '2026-04-30', outstandingFen: 2000n },
    ]);
    const b = a.balance();
    // 6000 − 0 − (8000 − 5000) + 2000 = 5000 = outstanding − credit
    expect(b).toMatchObject({ chargesFen: 6000n, paymentsFen: 8000n, reversedFen: 5000n, refundsFen: 2000n, outstandingFen: 5000n, creditFen: 0n });
    expectIdentity(b);
    expect(a.payments().find((p) => p.id === p2)).toMatchObject({ refundedFen: 2000n, allocations: new Map([[c2, 1000n]]) });
  });

  it('re-attributing a refund releases the newest charges first', () => {
    const a = new AccountModel();
    const p1 = a.prepay(5000n).paymentId;
    a.refund(2000n); // p1: 3000 free
    const c1 = a.issueCharge(1000n, '2026-03-31'); // p1 pays it: 2000 free
    const c2 = a.issueCharge(4000n, '2026-04-30'); // p1 pays 2000: 2000 open
    const p2 = a.pay(3000n).paymentId; // c2 2000, 1000 credit
    const c3 = a.issueCharge(2000n, '2026-05-31'); // p2's 1000 credit applied: 1000 open
    // Reverse p1: c1 (1000) and c2 (2000) re-open; its refunded 2000 moves onto p2, which has no free money:
    // release p2's 1000 on c3 (newest) and 1000 of its 2000 on c2.
    expect(a.reverse(p1)).toEqual({ reopenedFen: 5000n });
    expect(a.open()).toEqual([
      { id: c1, dueDate: '2026-03-31', outstandingFen: 1000n },
      { id: c2, dueDate: '2026-04-30', outstandingFen: 3000n },
      { id: c3, dueDate: '2026-05-31', outstandingFen: 2000n },
    ]);
    expect(a.payments().find((p) => p.id === p2)).toMatchObject({ refundedFen: 2000n, allocations: new Map([[c2, 1000n]]) });
    // 7000 − (8000 − 5000) + 2000 = 6000
    expect(a.balance()).toMatchObject({ outstandingFen: 6000n, creditFen: 0n });
    expectIdentity(a.balance());
  });

  it('refuses amounts that are not positive bigints, and bad dates, without changing anything', () => {
    const a = new AccountModel();
    expect(() => a.issueCharge(0n, '2026-03-31')).toThrow(LedgerError);
    expect(() => a.issueCharge(100n, '2026-02-30')).toThrow(/due date/);
    expect(() => a.pay(-1n)).toThrow(LedgerError);
    // @ts-expect-error money is never a number
    expect(() => a.pay(100)).toThrow(TypeError);
    expect(a.balance().chargesFen).toBe(0n);
    expect(a.movements()).toEqual([]);
  });
});
