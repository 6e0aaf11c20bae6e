"""Node geometry, tree flags and errno values of Linux 6.12 (64-bit build).

Mirrors the constants of include/linux/maple_tree.h and lib/maple_tree.c.
"""

ULONG_MAX = (1 << 64) - 1

# enum maple_type
MAPLE_DENSE = 0
MAPLE_LEAF_64 = 1
MAPLE_RANGE_64 = 2
MAPLE_ARANGE_64 = 3

TYPE_NAMES = {
    MAPLE_DENSE: "dense",
    MAPLE_LEAF_64: "leaf_64",
    MAPLE_RANGE_64: "range_64",
    MAPLE_ARANGE_64: "arange_64",
}
TYPE_BY_NAME = {name: t for t, name in TYPE_NAMES.items()}

MAPLE_NODE_SLOTS = 31
MAPLE_RANGE64_SLOTS = 16
MAPLE_ARANGE64_SLOTS = 10
MAPLE_BIG_NODE_SLOTS = 34
MAPLE_HEIGHT_MAX = 31

# mt_slots[], mt_pivots[], mt_min_slots[] indexed by type
MT_SLOTS = (MAPLE_NODE_SLOTS, MAPLE_RANGE64_SLOTS, MAPLE_RANGE64_SLOTS, MAPLE_ARANGE64_SLOTS)
MT_PIVOTS = (0, MAPLE_RANGE64_SLOTS - 1, MAPLE_RANGE64_SLOTS - 1, MAPLE_ARANGE64_SLOTS - 1)
MT_MIN_SLOTS = (MAPLE_NODE_SLOTS // 2, MAPLE_RANGE64_SLOTS // 2 - 2,
                MAPLE_RANGE64_SLOTS // 2 - 2, MAPLE_ARANGE64_SLOTS // 2 - 1)

# ma_flags
MT_FLAGS_ALLOC_RANGE = 0x01
MT_FLAGS_USE_RCU = 0x02
MT_FLAGS_HEIGHT_OFFSET = 2
MT_FLAGS_HEIGHT_MASK = 0x7C
MT_FLAGS_LOCK_MASK = 0x300
MT_FLAGS_LOCK_IRQ = 0x100
MT_FLAGS_LOCK_BH = 0x200
MT_FLAGS_LOCK_EXTERN = 0x300
MT_FLAGS_ALLOC_WRAPPED = 0x0800
MM_MT_FLAGS = MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU  # 0x303
MT_FLAGS_VALID = (MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_MASK
                  | MT_FLAGS_ALLOC_WRAPPED)

# errno values (negated by the kernel's return convention)
ENOMEM = 12
EBUSY = 16
EEXIST = 17
EINVAL = 22

# store_type names, as enum store_type without the "wr_" prefix
STORE_TYPES = ("invalid", "new_root", "store_root", "exact_fit", "spanning_store",
               "split_store", "rebalance", "append", "node_store", "slot_store")
