#!/usr/bin/python3
# Step 1 of the int8 recipe (tools/int8/README.md): the fp32 model with every tensor that will be quantized added
# as a graph output, and the list of those tensors, for calibrate.ts to measure.
#   /usr/bin/python3 tools/int8/add_outputs.py models/yolox_nano.onnx .cache/int8/calibrate.onnx [--ops Conv]
import argparse
import json
import sys

import onnx

from qdq_plan import ALL_OPS, DEFAULT_OPS, add_outputs, plan, with_opset


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model", help="the fp32 YOLOX-Nano (models/yolox_nano.onnx)")
    p.add_argument("out", help="where to write the model with the extra outputs; OUT.tensors.json lists them")
    p.add_argument("--ops", default=",".join(DEFAULT_OPS), help=f"ops to run in int8, of {','.join(ALL_OPS)}")
    a = p.parse_args()
    ops = tuple(o for o in a.ops.split(",") if o)
    bad = [o for o in ops if o not in ALL_OPS]
    if bad:
        print(f"--ops: {','.join(bad)} not one of {','.join(ALL_OPS)}", file=sys.stderr)
        return 64
    model = with_opset(onnx.load(a.model))
    quantized, head, tensors = plan(model, ops)
    onnx.save(add_outputs(model, tensors), a.out)
    with open(a.out + ".tensors.json", "w") as f:
        json.dump({"ops": list(ops), "tensors": tensors}, f, indent=1)
    print(f"{len(quantized)} nodes in int8, {len(head)} head nodes in float; {len(tensors)} tensors to calibrate -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
