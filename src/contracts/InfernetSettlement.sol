// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title InfernetSettlement
/// @notice Escrow for Compute Payment Receipts (CPR, see nips/cpr.md). A payer funds one unidirectional channel
/// per (payer, payee, token). The payer signs EIP-712 receipts for the CUMULATIVE amount it owes the payee; anyone
/// may redeem the newest one, which pays `min(cumulative, deposit) - claimed` to the payee. The payer gets the rest
/// back only through `requestWithdraw` + `withdraw` after `withdrawDelay`, which lets the payee redeem first.
/// A withdrawal empties the channel and bumps its epoch, which invalidates every receipt signed before it.
/// There is no owner and no admin path: funds leave only to the payee (by a receipt) or back to the payer.
/// @dev One storage slot per channel (96 + 96 + 32 + 32 bits), so a redeem is one cold SLOAD + one SSTORE.
/// Amounts are limited to 2^96-1 base units per channel. Fee-on-transfer and rebasing tokens are not supported.
contract InfernetSettlement {
    struct Channel {
        uint96 deposit; // total deposited in this epoch
        uint96 claimed; // total paid to the payee in this epoch
        uint32 epoch; // bumped by every completed withdrawal
        uint32 withdrawAt; // 0 = no pending withdrawal; otherwise the earliest time `withdraw` succeeds
    }

    struct Receipt {
        address payer;
        address payee;
        address token; // address(0) = native coin
        uint32 epoch;
        uint256 cumulative; // total owed to the payee in this epoch, in the token's base units
        uint64 jobCount; // number of jobs covered (audit only)
        bytes32 jobsHash; // keccak256 hash chain over the job request ids (audit only)
    }

    struct SignedReceipt {
        Receipt receipt;
        bytes signature; // 65 bytes r || s || v, low-s
    }

    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(address payer,address payee,address token,uint32 epoch,uint256 cumulative,uint64 jobCount,bytes32 jobsHash)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("Infernet Settlement");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 n / 2: a signature with a larger s is the malleable twin of a valid one.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    uint256 public immutable withdrawDelay;
    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomainSeparator;

    mapping(address payer => mapping(address payee => mapping(address token => Channel))) private channels;

    event Deposited(address indexed payer, address indexed payee, address indexed token, uint256 amount, uint256 deposit, uint32 epoch);
    event Redeemed(address indexed payer, address indexed payee, address indexed token, uint32 epoch, uint256 cumulative, uint256 amount);
    event WithdrawRequested(address indexed payer, address indexed payee, address indexed token, uint256 amount, uint256 availableAt);
    event WithdrawCancelled(address indexed payer, address indexed payee, address indexed token);
    event Withdrawn(address indexed payer, address indexed payee, address indexed token, uint256 amount, uint32 newEpoch);

    /// The recovered signer is not the receipt's payer (forged, altered, or signed for another chain/contract).
    error InvalidSignature();
    /// The signature's s is in the upper half of the curve order (malleated signature).
    error HighS();
    /// The receipt was signed for an epoch that a withdrawal has closed (or that has not started).
    error StaleEpoch(uint32 expected, uint32 got);
    /// The receipt pays nothing more than was already claimed (double redeem, or deposit exhausted).
    error NothingToRedeem();
    /// A receipt in a batch names another payee than the batch.
    error WrongPayee(address expected, address got);
    /// A receipt in a batch names another token than the batch.
    error WrongToken(address expected, address got);
    error WithdrawTooEarly(uint256 availableAt);
    error NoWithdrawRequested();
    error NothingToWithdraw();
    error ZeroAmount();
    error AmountTooLarge();
    /// Native deposits must send exactly `amount`; ERC-20 deposits must send no native coin.
    error WrongValue();
    error InvalidPayee();
    error TransferFailed();
    error EmptyBatch();

    constructor(uint256 withdrawDelay_) {
        withdrawDelay = withdrawDelay_;
        cachedChainId = block.chainid;
        cachedDomainSeparator = _buildDomainSeparator();
    }

    // ----- payer -----

    /// @notice Adds `amount` to the channel (payer = msg.sender). Cancels a pending withdrawal.
    function deposit(address payee, address token, uint256 amount) external payable {
        if (amount == 0) revert ZeroAmount();
        if (payee == address(0) || payee == msg.sender) revert InvalidPayee();
        if (token == address(0) ? msg.value != amount : msg.value != 0) revert WrongValue();
        Channel storage c = channels[msg.sender][payee][token];
        uint256 newDeposit = uint256(c.deposit) + amount;
        if (newDeposit > type(uint96).max) revert AmountTooLarge();
        c.deposit = uint96(newDeposit);
        if (c.withdrawAt != 0) {
            c.withdrawAt = 0;
            emit WithdrawCancelled(msg.sender, payee, token);
        }
        emit Deposited(msg.sender, payee, token, amount, newDeposit, c.epoch);
        if (token != address(0)) _transferFrom(token, msg.sender, amount);
    }

    /// @notice Starts the withdrawal delay for the unclaimed part of the channel.
    function requestWithdraw(address payee, address token) external {
        Channel storage c = channels[msg.sender][payee][token];
        uint256 remaining = uint256(c.deposit) - c.claimed;
        if (remaining == 0) revert NothingToWithdraw();
        uint256 availableAt = block.timestamp + withdrawDelay;
        c.withdrawAt = uint32(availableAt);
        emit WithdrawRequested(msg.sender, payee, token, remaining, availableAt);
    }

    /// @notice After the delay: refunds the unclaimed remainder, empties the channel and starts a new epoch.
    function withdraw(address payee, address token) external {
        Channel storage c = channels[msg.sender][payee][token];
        uint256 at = c.withdrawAt;
        if (at == 0) revert NoWithdrawRequested();
        if (block.timestamp < at) revert WithdrawTooEarly(at);
        uint256 amount = uint256(c.deposit) - c.claimed;
        uint32 newEpoch = c.epoch + 1;
        channels[msg.sender][payee][token] = Channel(0, 0, newEpoch, 0);
        emit Withdrawn(msg.sender, payee, token, amount, newEpoch);
        if (amount != 0) _pay(token, msg.sender, amount);
    }

    // ----- payee (or anyone on its behalf) -----

    /// @notice Pays `min(cumulative, deposit) - claimed` to `receipt.payee`.
    function redeem(Receipt calldata receipt, bytes calldata signature) external returns (uint256 amount) {
        amount = _settle(receipt, signature);
        _pay(receipt.token, receipt.payee, amount);
    }

    /// @notice Redeems many payers' receipts for one payee and token with a single transfer. Atomic: any bad
    /// receipt reverts the whole batch (simulate first and leave it out).
    function redeemBatch(address payee, address token, SignedReceipt[] calldata receipts) external returns (uint256 total) {
        uint256 n = receipts.length;
        if (n == 0) revert EmptyBatch();
        for (uint256 i; i < n; ++i) {
            Receipt calldata r = receipts[i].receipt;
            if (r.payee != payee) revert WrongPayee(payee, r.payee);
            if (r.token != token) revert WrongToken(token, r.token);
            total += _settle(r, receipts[i].signature);
        }
        _pay(token, payee, total);
    }

    // ----- views -----

    function getChannel(address payer, address payee, address token)
        external
        view
        returns (uint256 deposit_, uint256 claimed, uint32 epoch, uint32 withdrawAt)
    {
        Channel memory c = channels[payer][payee][token];
        return (c.deposit, c.claimed, c.epoch, c.withdrawAt);
    }

    function domainSeparator() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomainSeparator : _buildDomainSeparator();
    }

    function hashReceipt(Receipt calldata r) public view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), _structHash(r)));
    }

    // ----- internals -----

    function _settle(Receipt calldata r, bytes calldata signature) private returns (uint256 amount) {
        Channel storage c = channels[r.payer][r.payee][r.token];
        Channel memory m = c; // one SLOAD
        if (r.epoch != m.epoch) revert StaleEpoch(m.epoch, r.epoch);
        _checkSigner(hashReceipt(r), signature, r.payer);
        uint256 payable_ = r.cumulative < m.deposit ? r.cumulative : m.deposit;
        if (payable_ <= m.claimed) revert NothingToRedeem();
        amount = payable_ - m.claimed;
        c.claimed = uint96(payable_); // payable_ <= deposit < 2^96; same slot, one SSTORE
        emit Redeemed(r.payer, r.payee, r.token, r.epoch, r.cumulative, amount);
    }

    function _checkSigner(bytes32 digest, bytes calldata signature, address expected) private pure {
        if (signature.length != 65) revert InvalidSignature();
        bytes32 rr;
        bytes32 ss;
        uint8 v;
        assembly {
            rr := calldataload(signature.offset)
            ss := calldataload(add(signature.offset, 32))
            v := byte(0, calldataload(add(signature.offset, 64)))
        }
        if (uint256(ss) > HALF_N) revert HighS();
        if (v < 27) v += 27;
        if (v != 27 && v != 28) revert InvalidSignature();
        address signer = ecrecover(digest, v, rr, ss);
        if (signer == address(0) || signer != expected) revert InvalidSignature();
    }

    function _structHash(Receipt calldata r) private pure returns (bytes32) {
        return keccak256(
            abi.encode(RECEIPT_TYPEHASH, r.payer, r.payee, r.token, r.epoch, r.cumulative, r.jobCount, r.jobsHash)
        );
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    function _pay(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert TransferFailed();
        } else {
            _callToken(token, abi.encodeWithSelector(0xa9059cbb, to, amount)); // transfer(address,uint256)
        }
    }

    function _transferFrom(address token, address from, uint256 amount) private {
        _callToken(token, abi.encodeWithSelector(0x23b872dd, from, address(this), amount)); // transferFrom
    }

    /// Accepts tokens that return true and tokens that return nothing; refuses calls to addresses without code.
    function _callToken(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length == 0 ? token.code.length == 0 : !abi.decode(ret, (bool)))) revert TransferFailed();
    }
}
