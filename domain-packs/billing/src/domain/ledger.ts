/**
 * The account ledger (账户台账): charges (应收: bills, late fees, debit adjustments) and the money set against
 * them (实收: payments, prepayments 预存, credit notes), allocated oldest first.
 *
 * `allocateOldestFirst` is what the payments part uses against the database. `AccountModel` below is the same
 * rules held in memory, so property tests can check that no fen appears or disappears.
 */
import { isDate } from './dates.js';
import { assertBigint } from './money.js';

export interface OpenCharge {
  id: string;
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  outstandingFen: bigint;
}

export interface Allocation {
  chargeId: string;
  amountFen: bigint;
}

/** Compare ids: numeric ids (bigserial as text) by value, others as text. */
export function compareIds(a: string, b: string): number {
  const numeric = /^[0-9]+$/;
  if (numeric.test(a) && numeric.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first: earliest due date, then lowest id. */
export const oldestFirst = (a: { id: string; dueDate: string }, b: { id: string; dueDate: string }): number =>
  a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : compareIds(a.id, b.id);

/**
 * Set `amountFen` (≥ 0) against `charges`, oldest due date first (then lowest id), each up to its outstanding
 * amount. Answers the allocations (each > 0, in that order) and what is left over (the remainder, ≥ 0).
 * Charges with nothing outstanding are skipped. Σ allocations + remainder = amountFen.
 */
export function allocateOldestFirst(charges: OpenCharge[], amountFen: bigint): { allocations: Allocation[]; remainderFen: bigint } {
  assertBigint(amountFen, 'amountFen');
  if (amountFen < 0n) throw new RangeError('amountFen must be ≥ 0');
  const allocations: Allocation[] = [];
  let left = amountFen;
  for (const charge of [...charges].sort(oldestFirst)) {
    if (left === 0n) break;
    assertBigint(charge.outstandingFen, 'outstandingFen');
    if (charge.outstandingFen <= 0n) continue;
    const amount = charge.outstandingFen < left ? charge.outstandingFen : left;
    allocations.push({ chargeId: charge.id, amountFen: amount });
    left -= amount;
  }
  return { allocations, remainderFen: left };
}

// ---------------------------------------------------------------------------------------------------------
// The account model

export type ChargeKind = 'bill' | 'late_fee' | 'adjustment';
export type PaymentKind = 'payment' | 'prepayment' | 'credit_note';

export interface LedgerCharge {
  id: string;
  kind: ChargeKind;
  amountFen: bigint;
  dueDate: string;
  /** Σ of the live allocations to this charge. */
  paidFen: bigint;
  waivedFen: bigint;
  /** For a late fee: the charge it is levied on. */
  forChargeId: string | null;
}

export interface LedgerPayment {
  id: string;
  kind: PaymentKind;
  amountFen: bigint;
  /** The part of this payment paid back by refunds. */
  refundedFen: bigint;
  /** Live allocations by charge id. */
  allocations: Map<string, bigint>;
  reversed: boolean;
}

export type Movement =
  | { kind: 'charge'; chargeId: string; amountFen: bigint }
  | { kind: 'waive'; chargeId: string; amountFen: bigint }
  | { kind: 'payment'; paymentId: string; amountFen: bigint }
  | { kind: 'allocate'; paymentId: string; chargeId: string; amountFen: bigint }
  | { kind: 'release'; paymentId: string; chargeId: string; amountFen: bigint }
  | { kind: 'refund'; refundId: string; amountFen: bigint }
  | { kind: 'reverse'; paymentId: string; amountFen: bigint };

export interface AccountBalance {
  /** Σ of all charges issued. */
  chargesFen: bigint;
  /** Σ of all payments, prepayments and credit notes received (reversed ones included). */
  paymentsFen: bigint;
  /** Σ of the payments reversed. */
  reversedFen: bigint;
  /** Σ of the refunds paid back. */
  refundsFen: bigint;
  waivedFen: bigint;
  /** Σ of the live allocations. */
  allocatedFen: bigint;
  /** Σ over charges of amount − waived − paid. */
  outstandingFen: bigint;
  /** Received money neither allocated nor refunded (预存余额), ≥ 0. */
  creditFen: bigint;
}

export class LedgerError extends Error {
  constructor(
    readonly code: 'invalid_amount' | 'invalid_date' | 'not_found' | 'exceeds_outstanding' | 'exceeds_credit' | 'already_reversed' | 'cannot_reverse',
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

const newestFirst = <T extends { id: string }>(a: T, b: T) => compareIds(b.id, a.id);

/**
 * One account's ledger in memory, with the pack's rules:
 * - `issueCharge` adds a charge (a bill, a debit adjustment); `lateFee` one for a late fee. With
 *   `applyCreditOnIssue` (the default) the prepaid credit is set against the open charges at once.
 * - `pay` / `creditNote` take money and allocate it to the open charges oldest first; the rest is credit.
 *   `prepay` takes a prepayment (预存) the same way: whatever no open charge needs is credit for later charges.
 * - `refund` pays credit back (never more than the credit), from the newest payments' free money.
 * - `reverse` undoes a payment (a bounced transfer, a cancelled receipt): its allocations are released, so the
 *   charges it paid are open again, and its free money leaves the credit. If part of it had been refunded,
 *   that refund is re-attributed to other payments' free money, then, if that is short, to money they had
 *   allocated (the newest charges are re-opened first); if even that is short, the reversal is refused.
 *   With `applyCreditOnIssue`, any credit left is then set against the re-opened charges.
 * - `waive` forgives part of a charge's outstanding amount (never more).
 * Invariants (checked by the property tests): for every charge paid + waived ≤ amount; credit ≥ 0;
 *   outstanding − credit = charges − waived − (payments − reversed) + refunds.
 * A refused operation throws a `LedgerError` and changes nothing.
 */
export class AccountModel {
  readonly applyCreditOnIssue: boolean;
  private seq = 0;
  private readonly chargeMap = new Map<string, LedgerCharge>();
  private readonly paymentMap = new Map<string, LedgerPayment>();
  private readonly refundList: { id: string; amountFen: bigint }[] = [];
  private readonly log: Movement[] = [];

  constructor(options: { applyCreditOnIssue?: boolean } = {}) {
    this.applyCreditOnIssue = options.applyCreditOnIssue ?? true;
  }

  private nextId(): string {
    this.seq += 1;
    return String(this.seq);
  }

  private static positive(amountFen: bigint): void {
    assertBigint(amountFen, 'amountFen');
    if (amountFen <= 0n) throw new LedgerError('invalid_amount', `amount must be more than 0 fen, got ${amountFen}`);
  }

  private charge(id: string): LedgerCharge {
    const charge = this.chargeMap.get(id);
    if (!charge) throw new LedgerError('not_found', `no charge ${id}`);
    return charge;
  }

  private static outstanding(c: LedgerCharge): bigint {
    return c.amountFen - c.waivedFen - c.paidFen;
  }

  private static free(p: LedgerPayment): bigint {
    if (p.reversed) return 0n;
    let allocated = 0n;
    for (const a of p.allocations.values()) allocated += a;
    return p.amountFen - p.refundedFen - allocated;
  }

  private openCharges(): OpenCharge[] {
    return [...this.chargeMap.values()]
      .map((c) => ({ id: c.id, dueDate: c.dueDate, outstandingFen: AccountModel.outstanding(c) }))
      .filter((c) => c.outstandingFen > 0n);
  }

  private allocate(p: LedgerPayment, amountFen: bigint): bigint {
    const { allocations } = allocateOldestFirst(this.openCharges(), amountFen);
    let applied = 0n;
    for (const a of allocations) {
      this.charge(a.chargeId).paidFen += a.amountFen;
      p.allocations.set(a.chargeId, (p.allocations.get(a.chargeId) ?? 0n) + a.amountFen);
      this.log.push({ kind: 'allocate', paymentId: p.id, chargeId: a.chargeId, amountFen: a.amountFen });
      applied += a.amountFen;
    }
    return applied;
  }

  private release(p: LedgerPayment, chargeId: string, amountFen: bigint): void {
    const current = p.allocations.get(chargeId) ?? 0n;
    if (amountFen <= 0n || amountFen > current) throw new Error(`internal: release ${amountFen} of ${current}`);
    if (current === amountFen) p.allocations.delete(chargeId);
    else p.allocations.set(chargeId, current - amountFen);
    this.charge(chargeId).paidFen -= amountFen;
    this.log.push({ kind: 'release', paymentId: p.id, chargeId, amountFen });
  }

  /** Add a charge due on `dueDate`; answers its id. Applies the credit when `applyCreditOnIssue`. */
  issueCharge(amountFen: bigint, dueDate: string, kind: ChargeKind = 'bill', forChargeId: string | null = null): string {
    AccountModel.positive(amountFen);
    if (!isDate(dueDate)) throw new LedgerError('invalid_date', `due date must be a date YYYY-MM-DD, got '${String(dueDate)}'`);
    if (forChargeId !== null) this.charge(forChargeId);
    const id = this.nextId();
    this.chargeMap.set(id, { id, kind, amountFen, dueDate, paidFen: 0n, waivedFen: 0n, forChargeId });
    this.log.push({ kind: 'charge', chargeId: id, amountFen });
    if (this.applyCreditOnIssue) this.applyCredit();
    return id;
  }

  /** A late fee of `amountFen` on charge `forChargeId`, due on `dueDate`. */
  lateFee(forChargeId: string, amountFen: bigint, dueDate: string): string {
    return this.issueCharge(amountFen, dueDate, 'late_fee', forChargeId);
  }

  private receive(kind: PaymentKind, amountFen: bigint, allocate: boolean): { paymentId: string; allocatedFen: bigint; creditFen: bigint } {
    AccountModel.positive(amountFen);
    const id = this.nextId();
    const p: LedgerPayment = { id, kind, amountFen, refundedFen: 0n, allocations: new Map(), reversed: false };
    this.paymentMap.set(id, p);
    this.log.push({ kind: 'payment', paymentId: id, amountFen });
    const allocatedFen = allocate ? this.allocate(p, amountFen) : 0n;
    return { paymentId: id, allocatedFen, creditFen: amountFen - allocatedFen };
  }

  /** Take a payment; it pays the open charges oldest first, the rest becomes credit. */
  pay(amountFen: bigint) {
    return this.receive('payment', amountFen, true);
  }

  /** A credit adjustment (credit note, 调减) booked like a payment: it pays open charges oldest first, the rest is credit. */
  creditNote(amountFen: bigint) {
    return this.receive('credit_note', amountFen, true);
  }

  /**
   * Take a prepayment (预存). Like `pay`, it first settles any open charges (a prepayment never sits beside
   * arrears); the rest is credit, set against later charges as they are issued (`applyCreditOnIssue`) or by
   * `applyCredit`.
   */
  prepay(amountFen: bigint) {
    return this.receive('prepayment', amountFen, true);
  }

  /** Set the credit against the open charges, oldest payments' money first, oldest charges first. Answers fen applied. */
  applyCredit(): bigint {
    let applied = 0n;
    const payments = [...this.paymentMap.values()].sort((a, b) => compareIds(a.id, b.id));
    for (const p of payments) {
      const free = AccountModel.free(p);
      if (free > 0n) applied += this.allocate(p, free);
    }
    return applied;
  }

  /** Pay `amountFen` of credit back to the customer (never more than the credit); answers the refund id. */
  refund(amountFen: bigint): string {
    AccountModel.positive(amountFen);
    const credit = this.balance().creditFen;
    if (amountFen > credit) throw new LedgerError('exceeds_credit', `refund of ${amountFen} fen exceeds the credit of ${credit} fen`);
    let left = amountFen;
    for (const p of [...this.paymentMap.values()].sort(newestFirst)) {
      if (left === 0n) break;
      const take = AccountModel.free(p) < left ? AccountModel.free(p) : left;
      p.refundedFen += take;
      left -= take;
    }
    const id = this.nextId();
    this.refundList.push({ id, amountFen });
    this.log.push({ kind: 'refund', refundId: id, amountFen });
    return id;
  }

  /** Reverse payment `paymentId` (see the class comment). Answers the fen of charges re-opened. */
  reverse(paymentId: string): { reopenedFen: bigint } {
    const p = this.paymentMap.get(paymentId);
    if (!p) throw new LedgerError('not_found', `no payment ${paymentId}`);
    if (p.reversed) throw new LedgerError('already_reversed', `payment ${paymentId} is already reversed`);
    const others = [...this.paymentMap.values()].filter((o) => !o.reversed && o.id !== p.id).sort(newestFirst);
    let need = p.refundedFen;
    const capacity = others.reduce((sum, o) => sum + o.amountFen - o.refundedFen, 0n);
    if (need > capacity) {
      throw new LedgerError('cannot_reverse', `payment ${paymentId}: ${need} fen of it was refunded and the account has no other money to cover it`);
    }
    let reopenedFen = 0n;
    for (const [chargeId, amount] of [...p.allocations]) {
      this.release(p, chargeId, amount);
      reopenedFen += amount;
    }
    p.reversed = true;
    p.refundedFen = 0n;
    this.log.push({ kind: 'reverse', paymentId: p.id, amountFen: p.amountFen });
    // Re-attribute the refunded part: other payments' free money first, newest payment first …
    for (const o of others) {
      if (need === 0n) break;
      const free = AccountModel.free(o);
      const take = free < need ? free : need;
      o.refundedFen += take;
      need -= take;
    }
    // … then money they had allocated, newest charge first.
    const newestCharges = [...this.chargeMap.values()].sort((a, b) => oldestFirst(b, a));
    for (const c of newestCharges) {
      for (const o of others) {
        if (need === 0n) break;
        const allocated = o.allocations.get(c.id) ?? 0n;
        if (allocated === 0n) continue;
        const take = allocated < need ? allocated : need;
        this.release(o, c.id, take);
        o.refundedFen += take;
        reopenedFen += take;
        need -= take;
      }
    }
    if (need !== 0n) throw new Error('internal: reversal left refunded money unattributed');
    if (this.applyCreditOnIssue) reopenedFen -= this.applyCredit();
    return { reopenedFen };
  }

  /** Forgive `amountFen` of charge `chargeId`'s outstanding amount (never more). */
  waive(chargeId: string, amountFen: bigint): void {
    AccountModel.positive(amountFen);
    const c = this.charge(chargeId);
    const outstanding = AccountModel.outstanding(c);
    if (amountFen > outstanding) {
      throw new LedgerError('exceeds_outstanding', `waiver of ${amountFen} fen exceeds the ${outstanding} fen outstanding on charge ${chargeId}`);
    }
    c.waivedFen += amountFen;
    this.log.push({ kind: 'waive', chargeId, amountFen });
  }

  balance(): AccountBalance {
    const b: AccountBalance = {
      chargesFen: 0n,
      paymentsFen: 0n,
      reversedFen: 0n,
      refundsFen: 0n,
      waivedFen: 0n,
      allocatedFen: 0n,
      outstandingFen: 0n,
      creditFen: 0n,
    };
    for (const c of this.chargeMap.values()) {
      b.chargesFen += c.amountFen;
      b.waivedFen += c.waivedFen;
      b.allocatedFen += c.paidFen;
      b.outstandingFen += AccountModel.outstanding(c);
    }
    for (const p of this.paymentMap.values()) {
      b.paymentsFen += p.amountFen;
      if (p.reversed) b.reversedFen += p.amountFen;
      b.creditFen += AccountModel.free(p);
    }
    for (const r of this.refundList) b.refundsFen += r.amountFen;
    return b;
  }

  /** Copies of the charges, in issue order. */
  charges(): LedgerCharge[] {
    return [...this.chargeMap.values()].map((c) => ({ ...c }));
  }

  /** Copies of the payments, in receipt order. */
  payments(): LedgerPayment[] {
    return [...this.paymentMap.values()].map((p) => ({ ...p, allocations: new Map(p.allocations) }));
  }

  /** The open charges, oldest first. */
  open(): OpenCharge[] {
    return this.openCharges().sort(oldestFirst);
  }

  /** Every money movement so far, in order. */
  movements(): Movement[] {
    return this.log.map((m) => ({ ...m }));
  }
}
