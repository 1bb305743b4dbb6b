"""How nbgrad's parallel CPU kernels share the process's cores and threads.

`configure` runs once, when `nbgrad.backends.cpu` is imported and before any
kernel runs, and makes three process-wide choices:

1. Spin policy.  Unless the environment already says (``OMP_WAIT_POLICY`` or
   ``GOMP_SPINCOUNT``), idle OpenMP threads spin for a short while
   (``GOMP_SPINCOUNT=2000``, about 20 us) and then sleep.  GNU OpenMP's
   default (about 3 ms of spinning) made parallel loops 10-50x slower
   whenever another thread or process kept a core busy; sleeping at once
   costs a 50-100 us wake-up at every parallel loop (docs/performance.md).
2. Numba's OpenMP layer on its own runtime.  libgomp reads that setting once,
   when it is loaded.  A process that imported PyTorch first has PyTorch's
   libgomp loaded with ``RTLD_GLOBAL`` and the default 3 ms spin, and Numba's
   OpenMP layer (``omppool``, loaded later) would bind to it: its idle thread
   then spun for milliseconds after every parallel loop, beside NumPy's
   OpenBLAS thread (which also spins), and an MLP step took about 8x as long
   on two cores (asv_benchmarks/torch_coexist.py).  So `configure` loads
   ``omppool`` itself with ``RTLD_DEEPBIND``: it binds to the libgomp it was
   linked against, which is then loaded after the spin policy was set
   (whatever else the process loads, before or after).
   ``NBGRAD_OPENMP_DEEPBIND=0`` loads it the ordinary way (global runtimes first).
3. Serialised launches under ``workqueue``.  Numba's ``workqueue`` layer (its
   fallback without OpenMP or TBB) aborts the process (SIGABRT) when two
   threads launch parallel loops at once.  When it is the layer, `configure`
   starts it and puts a native wrapper in front of Numba's ``numba_parallel_for``
   that lets one Python thread at a time launch a loop (a nested launch from a
   worker thread is passed through: Numba reports it as before).

`describe` says what was chosen (``python -c "import nbgrad.backends.cpu.threads
as t; print(t.describe())"``).
"""

import ctypes
import importlib.util
import os
import sys
import warnings

SPINCOUNT = "2000"
_LINUX = sys.platform.startswith("linux")
_NAMED = ("tbb", "omp", "workqueue")
state = {"spin_policy": None, "openmp_runtime": None, "openmp_runtime_fresh": None,
         "serialised": False, "predicted_layer": None}
_keep = []   # library handles, the mutex and the wrapper's code: alive for the process


def set_spin_policy():
    """GOMP_SPINCOUNT=2000 unless the user chose a wait policy; returns the policy in force."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
    state["spin_policy"] = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
                            if k in os.environ}
    return state["spin_policy"]


def _parallel():
    from numba.np.ufunc import parallel
    return parallel


def _candidates(requested):
    """Numba's layers in the order Numba tries them for NUMBA_THREADING_LAYER `requested`."""
    from numba.core import config
    if requested in _NAMED:
        return [requested]
    if requested == "default":
        return [str(b) for b in config.THREADING_LAYER_PRIORITY]
    if requested == "threadsafe":
        return ["tbb", "omp"]
    if requested == "forksafe":   # GNU OpenMP (Linux) is not fork-safe
        return ["tbb"] + ([] if _LINUX else ["omp"]) + ["workqueue"]
    return ["tbb"] if requested == "safe" else []


def _openmp_paths():
    """Paths of the OpenMP runtimes mapped into this process (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return set()
    # libgomp (GNU), libomp (LLVM), libiomp5 (Intel), with or without a wheel's hash
    return {p for p in paths if p.rsplit("/", 1)[-1].startswith(("libgomp", "libomp", "libiomp"))}


def _runtime_of(handle):
    """The file that provides GOMP_parallel in `handle`'s own lookup scope."""
    class _DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]
    try:
        libdl = ctypes.CDLL(None)
        addr = ctypes.cast(handle.GOMP_parallel, ctypes.c_void_p).value
        info = _DlInfo()
        libdl.dladdr.argtypes = (ctypes.c_void_p, ctypes.POINTER(_DlInfo))
        if addr and libdl.dladdr(ctypes.c_void_p(addr), ctypes.byref(info)) and info.fname:
            return os.path.realpath(info.fname.decode())
    except (AttributeError, OSError):
        pass
    return None


def _load_omppool():
    """Load Numba's OpenMP layer bound to its own libgomp (see the module
    docstring); True if the layer can be used."""
    if "numba.np.ufunc.omppool" in sys.modules or state["openmp_runtime"]:
        return True   # already bound (Numba loaded it, or an earlier call did)
    spec = importlib.util.find_spec("numba.np.ufunc.omppool")
    if spec is None or not spec.origin:
        return False
    if not (_LINUX and hasattr(os, "RTLD_DEEPBIND")) or \
            os.environ.get("NBGRAD_OPENMP_DEEPBIND", "1") == "0":
        try:
            from numba.np.ufunc import omppool  # noqa: F401
        except ImportError:
            return False   # e.g. no libgomp: Numba falls back to the next layer
        return True
    before = {os.path.realpath(p) for p in _openmp_paths()}
    try:
        handle = ctypes.CDLL(spec.origin, mode=os.RTLD_NOW | os.RTLD_LOCAL | os.RTLD_DEEPBIND)
    except OSError:
        return False   # e.g. no libgomp: Numba falls back to the next layer
    _keep.append(handle)
    runtime = _runtime_of(handle)
    state["openmp_runtime"] = runtime
    # a runtime loaded before nbgrad read the environment before the spin policy was set
    state["openmp_runtime_fresh"] = runtime is not None and runtime not in before
    return True


def _available(layer):
    if layer == "workqueue":
        return True
    if layer == "omp":
        return _load_omppool()
    try:
        _parallel()._check_tbb_version_compatible()
        from numba.np.ufunc import tbbpool  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


def predicted_layer():
    """The threading layer Numba uses or will use, found without starting it
    (loading Numba's OpenMP layer as `_load_omppool` says, when it is a candidate)."""
    from numba.core import config
    parallel = _parallel()
    if getattr(parallel, "_is_initialized", False):
        return parallel._threading_layer
    for layer in _candidates(str(config.THREADING_LAYER).lower()):
        if _available(layer):
            return layer
    return None   # Numba raises its own error at the first parallel loop


def _shared_memory(ring_size):
    """Never-freed memory the wrapper works in: {name: address} of a pthread
    mutex, the task of the loop being launched, and a ring of the threads that
    ran tasks (with its counter)."""
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(128)   # >= sizeof(pthread_mutex_t) on every ABI
    libc.pthread_mutex_init.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    if libc.pthread_mutex_init(mutex, None) != 0:
        raise OSError("pthread_mutex_init failed")
    words = (ctypes.c_uint64 * (ring_size + 2))()   # task, counter, ring
    _keep.extend((mutex, words))
    base = ctypes.addressof(words)
    return {"mutex": ctypes.addressof(mutex), "task": base, "counter": base + 8, "ring": base + 16}


def _serial_wrapper_ir(mem, ring_size):
    """LLVM IR of ``nbgrad_serial_parallel_for``, Numba's ``numba_parallel_for``
    made safe for concurrent callers: it launches the loop under a mutex, with
    each task run through ``nbgrad_wq_task``, which notes the thread running it
    in a ring.  A launch from a thread in the ring is a workqueue worker
    launching a nested loop: it goes straight to the real launch, which reports
    it as Numba does (under the mutex it would wait forever).  The callees are
    the ``nbgrad_wq_*`` symbols of `serialise_workqueue`; `mem` is
    `_shared_memory`."""
    from llvmlite import ir
    i8p, i64, i32 = ir.IntType(8).as_pointer(), ir.IntType(64), ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [i8p] * 5 + [i64] * 3)
    taskty = ir.FunctionType(ir.VoidType(), [i8p] * 4)
    mod = ir.Module(name="nbgrad_serial_parallel_for")
    real = ir.Function(mod, fnty, name="nbgrad_wq_parallel_for")
    lock, unlock = (ir.Function(mod, ir.FunctionType(i32, [i8p]), name=f"nbgrad_wq_{n}")
                    for n in ("lock", "unlock"))
    self_id = ir.Function(mod, ir.FunctionType(i64, []), name="nbgrad_wq_self")

    def at(b, name, ty):
        return b.inttoptr(ir.Constant(i64, mem[name]), ty.as_pointer())

    task = ir.Function(mod, taskty, name="nbgrad_wq_task")
    b = ir.IRBuilder(task.append_basic_block("entry"))
    k = b.atomic_rmw("add", at(b, "counter", i64), ir.Constant(i64, 1), "monotonic")
    ring = at(b, "ring", i64)
    b.store_atomic(b.call(self_id, []), b.gep(ring, [b.urem(k, ir.Constant(i64, ring_size))]),
                   "monotonic", 8)
    b.call(b.load(at(b, "task", taskty.as_pointer())), list(task.args))
    b.ret_void()

    fn = ir.Function(mod, fnty, name="nbgrad_serial_parallel_for")
    blocks = [fn.append_basic_block(n) for n in ("entry", "scan", "next", "locked", "direct")]
    entry, scan, nxt, locked, direct = blocks
    b = ir.IRBuilder(entry)
    me, ring = b.call(self_id, []), at(b, "ring", i64)
    b.branch(scan)
    b = ir.IRBuilder(scan)   # is the caller a thread that ran a task (in the ring)?
    i = b.phi(i64)
    seen = b.load_atomic(b.gep(ring, [i]), "monotonic", 8)
    b.cbranch(b.icmp_unsigned("==", seen, me), direct, nxt)
    b = ir.IRBuilder(nxt)
    i1 = b.add(i, ir.Constant(i64, 1))
    b.cbranch(b.icmp_unsigned("<", i1, ir.Constant(i64, ring_size)), scan, locked)
    i.add_incoming(ir.Constant(i64, 0), entry)
    i.add_incoming(i1, nxt)
    b = ir.IRBuilder(locked)
    mtx = b.inttoptr(ir.Constant(i64, mem["mutex"]), i8p)
    b.call(lock, [mtx])
    b.store(fn.args[0], at(b, "task", i8p))
    b.call(real, [b.bitcast(task, i8p)] + list(fn.args[1:]))
    b.call(unlock, [mtx])
    b.ret_void()
    b = ir.IRBuilder(direct)
    b.call(real, list(fn.args))
    b.ret_void()
    return mod


def serialise_workqueue():
    """Start the workqueue layer and route every parallel loop compiled or
    loaded from now on through the serialising wrapper; True when installed."""
    import llvmlite.binding as ll
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target
    from numba.np.ufunc import workqueue
    parallel = _parallel()
    parallel._launch_threads()   # workqueue is fork-safe: starting it early is harmless
    if parallel._threading_layer != "workqueue":
        return False
    from numba.core import config
    libc = ctypes.CDLL(None)
    for name, addr in (("parallel_for", workqueue.parallel_for),
                       ("lock", libc.pthread_mutex_lock), ("unlock", libc.pthread_mutex_unlock),
                       ("self", libc.pthread_self)):
        if not isinstance(addr, int):
            addr = ctypes.cast(addr, ctypes.c_void_p).value
        ll.add_symbol(f"nbgrad_wq_{name}", addr)
    with global_compiler_lock:   # Numba's JIT is not re-entrant
        lib = cpu_target.target_context.codegen().create_library("nbgrad_serial_parallel_for")
        # a loop runs at most NUMBA_NUM_THREADS tasks: a worker's own note stays in the ring
        ring_size = config.NUMBA_NUM_THREADS + 1
        mem = _shared_memory(ring_size)
        lib.add_ir_module(_serial_wrapper_ir(mem, ring_size))
        lib.finalize()
        wrapper = lib.get_pointer_to_function("nbgrad_serial_parallel_for")
        _keep.append(lib)
        ll.add_symbol("numba_parallel_for", wrapper)
    # a child's workers are new threads: forget the parent's (a new Python
    # thread could reuse one's id and would then skip the mutex)
    os.register_at_fork(after_in_child=lambda: ctypes.memset(mem["ring"], 0, 8 * ring_size))
    state["serialised"] = True
    return True


def configure():
    """Make the three choices of the module docstring (once per process)."""
    if state["predicted_layer"] is not None:
        return state
    set_spin_policy()
    try:
        layer = state["predicted_layer"] = predicted_layer() or "none"
        if layer == "workqueue" and not state["serialised"]:
            serialise_workqueue()
    except (AttributeError, ImportError, OSError, RuntimeError) as exc:
        # Numba internals this relies on moved: keep Numba's own behaviour
        state["predicted_layer"] = "unknown"
        warnings.warn(f"nbgrad could not configure Numba's threading layer ({exc!r}); "
                      "parallel kernels run with Numba's defaults", RuntimeWarning, stacklevel=2)
    return state


def describe():
    """What `configure` chose and what is running: a dict for reports and benchmarks."""
    from numba.core import config
    parallel = _parallel()
    out = dict(state)
    out["layer"] = parallel._threading_layer if parallel._is_initialized else None
    out["numba_threads"] = config.NUMBA_NUM_THREADS
    out["openmp_runtimes_mapped"] = sorted(_openmp_paths())
    try:
        from threadpoolctl import threadpool_info
        out["blas"] = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()
                       if i["user_api"] == "blas"]
    except ImportError:
        pass
    return out
