"""Load a pandapower JSON network, run an AC power flow, print a JSON summary.

Exit status 0 when the power flow converges, 1 when it does not, 2 when the file does not load.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import pandapower as pp  # noqa: E402


def main(path):
    try:
        net = pp.from_json(path)
    except Exception as error:  # the export itself is wrong
        print(json.dumps({"loaded": False, "error": str(error)}))
        return 2
    try:
        pp.runpp(net, numba=False)
    except Exception as error:
        print(json.dumps({"loaded": True, "converged": False, "error": str(error)}))
        return 1
    summary = {
        "loaded": True,
        "converged": bool(net.converged),
        "buses": int(len(net.bus)),
        "lines": int(len(net.line)),
        "vm_pu_min": float(net.res_bus.vm_pu.min()),
        "vm_pu_max": float(net.res_bus.vm_pu.max()),
        "max_line_loading_percent": float(net.res_line.loading_percent.max()),
        "slack_p_mw": float(net.res_ext_grid.p_mw.sum()),
    }
    print(json.dumps(summary))
    return 0 if net.converged else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
