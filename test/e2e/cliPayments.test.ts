// `infernet chat` pays: deposit, 20 chat processes continuing one receipt sequence, payout (cliPaymentsSuite.ts).
import { cliPaymentsSuite } from './cliPaymentsSuite.ts'

cliPaymentsSuite('sequence')
