// `infernet chat` pays ahead a credit-limit-0 node, refuses a job its deposit cannot cover, says when it pays nothing, and
// gives payment refusals a payment hint (cliPaymentsSuite.ts).
import { cliPaymentsSuite } from './cliPaymentsSuite.ts'

cliPaymentsSuite('edges')
