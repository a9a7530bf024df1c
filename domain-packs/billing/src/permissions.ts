import { l, PERMISSIONS as P } from './shared.js';

/** The billing pack's permissions; roles (presentation.ts) grant them. */
export const permissions = [
  { name: P.accountsRead, label: l('查看用户账户', 'View accounts') },
  { name: P.accountsWrite, label: l('办理开户/过户/销户/换表', 'Open, transfer and close accounts, change meters') },
  { name: P.accountsApprove, label: l('审批用户业务', 'Approve account requests') },
  { name: P.tariffsRead, label: l('查看水价', 'View tariffs') },
  { name: P.tariffsWrite, label: l('维护水价', 'Maintain tariffs') },
  { name: P.billsRead, label: l('查看账单', 'View bills') },
  { name: P.billsRun, label: l('执行计费', 'Run billing') },
  { name: P.adjust, label: l('申请调账', 'Request bill adjustments') },
  { name: P.adjustApprove, label: l('审批调账', 'Approve bill adjustments') },
  { name: P.collect, label: l('收费', 'Take payments') },
  { name: P.paymentsRead, label: l('查看收费记录', 'View payments') },
  { name: P.paymentsApprove, label: l('审批冲正与退费', 'Approve reversals and refunds') },
  { name: P.arrearsRead, label: l('查看欠费', 'View arrears') },
  { name: P.arrearsManage, label: l('催费与关阀', 'Dunning and valve control') },
  { name: P.arrearsApprove, label: l('审批违约金减免与关阀', 'Approve waivers and valve closing') },
  { name: P.financeRead, label: l('查看财务', 'View finance') },
  { name: P.financeClose, label: l('会计期关账与对账确认', 'Close finance periods and confirm reconciliation') },
  { name: P.receipts, label: l('开具票据', 'Issue receipts') },
  { name: P.receiptsVoid, label: l('作废票据', 'Void receipts') },
];
