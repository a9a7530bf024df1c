/**
 * The billing pack's tables, in the pack's own schema (`pack_billing`), one migration per part in the
 * order their references need. Money is integer fen (`bigint`), volumes integer litres (`bigint`), times
 * UTC (`timestamptz`). The runtime adds the tenant policy, the composite tenant key and the grants.
 */
import { accountsSchema } from '../accounts/schema.js';
import { billingSchema } from '../billing/schema.js';
import { financeSchema } from '../finance/schema.js';
import { paymentsSchema } from '../payments/schema.js';
import { arrearsSchema } from '../arrears/schema.js';

export const postgresMigrations = [accountsSchema, billingSchema, financeSchema, paymentsSchema, arrearsSchema];
