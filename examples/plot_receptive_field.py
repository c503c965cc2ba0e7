"""
How far does a CNN see? Receptive fields from layer to layer
============================================================

:func:`sklearn_dl.inspection.receptive_field` walks a network once with forward hooks and
tabulates, per layer, the kernel, the stride, the output size, the receptive field (the side
of the input patch one output unit depends on) and the jump (input pixels between
neighbouring units). It works on fitted estimators, user modules and, by name, on the
registered pretrained backbones (built on PyTorch's meta device: no weights, no memory).

* The course's exercise: two stacked 3x3 convolutions see 5x5 pixels, three see 7x7 -- as
  one 7x7 convolution, but with 3 * 9 = 27 instead of 49 weights (per channel pair) and
  two more non-linearities.
* LeNet-5 and the "vgg" preset of :class:`sklearn_dl.CNNClassifier`.
* VGG16: at 224x224 its last pooling sees 212 pixels, almost the whole image; a ResNet-18's
  last block sees 435, more than the image.

Its run (2 CPU cores, a few seconds) printed the full tables; these are some of their rows::

    two stacked 3x3 convolutions: receptive fields [3, 5]
    three stacked 3x3 convolutions: receptive fields [3, 5, 7], 27 weights
    one 7x7 convolution: receptive fields [7], 49 weights

    LeNet-5 preset on 32x32 images:
                    layer      type kernel stride output_size receptive_field jump start weights
    features.block1.conv1    Conv2d      5      1       28x28               5    1     2     150
     features.block1.pool AvgPool2d      2      2       14x14               6    2   2.5       0
    features.block2.conv1    Conv2d      5      1       10x10              14    2   6.5    2400
     features.block2.pool AvgPool2d      2      2         5x5              16    4   7.5       0
                  dense.0   Flatten      -      -      (400,)              32    -     -       0

    VGG preset (CNNClassifier(architecture='vgg')) on 32x32 colour images:
    stage ends
     stage                layer  receptive_field  jump output_size
    block1 features.block1.pool                6     2       16x16
    block2 features.block2.pool               16     4         8x8
    block3 features.block3.pool               36     8         4x4

    VGG16 at 224x224:
    stage ends
     stage       layer  receptive_field  jump output_size
    block1  features.4                6     2     112x112
    block2  features.9               16     4       56x56
    block3 features.16               44     8       28x28
    block4 features.23              100    16       14x14
    block5 features.30              212    32         7x7
    ResNet-18 layer4: receptive field 435 px on a 224 px image
    saved examples/output/receptive_field_growth.png
"""

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from sklearn_dl.bodies import make_cnn  # noqa: E402
from sklearn_dl.bodies.backbones import get_backbone  # noqa: E402
from sklearn_dl.inspection import receptive_field  # noqa: E402

pd.set_option("display.width", 120)
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)

# %%
# The exercise: stacked 3x3 convolutions versus one large kernel
# ---------------------------------------------------------------
for name, net in [
    ("two stacked 3x3 convolutions",
     nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(2)])),
    ("three stacked 3x3 convolutions",
     nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(3)])),
    ("one 7x7 convolution", nn.Conv2d(1, 1, 7, bias=False)),
]:
    table = receptive_field(net, (1, 9, 9))
    weights = int(table["weights"].sum())
    print(f"{name}: receptive fields {table['receptive_field'].tolist()}"
          + (f", {weights} weights" if "two" not in name else ""))

# %%
# LeNet-5 and the VGG preset of CNNClassifier
# -------------------------------------------
lenet, _ = make_cnn((1, 32, 32), "lenet5")
print("\nLeNet-5 preset on 32x32 images:")
print(receptive_field(lenet, (1, 32, 32)).to_string(index=False))


def stage_ends(table, stages):
    """The rows of the table where each named stage ends."""
    rows = [dict(stage=s, **table.set_index("layer").loc[p].to_dict(), layer=p)
            for s, p in stages.items()]
    return pd.DataFrame(rows)[["stage", "layer", "receptive_field", "jump", "output_size"]]


vgg_preset, _ = make_cnn((3, 32, 32), "vgg")
preset_table = receptive_field(vgg_preset, (3, 32, 32))
print("\nVGG preset (CNNClassifier(architecture='vgg')) on 32x32 colour images:")
print(preset_table.to_string(index=False))
print("stage ends")
print(stage_ends(preset_table, {s: f"{p}.pool" for s, p in vgg_preset.stages().items()})
      .to_string(index=False))

# %%
# VGG16 and ResNet-18 from the backbone registry (no weights needed)
# -------------------------------------------------------------------
vgg16_table = receptive_field("vgg16", (3, 224, 224))
print("\nVGG16 at 224x224:")
print(vgg16_table.to_string(index=False))
print("stage ends")
vgg16_stages = {s.name: s.output for s in get_backbone("vgg16").stages if not s.head}
print(stage_ends(vgg16_table, vgg16_stages).to_string(index=False))
resnet = receptive_field("resnet18").set_index("layer")
print(f"ResNet-18 layer4: receptive field {resnet.loc['layer4.1.conv2', 'receptive_field']} "
      "px on a 224 px image")

# %%
# Growth of the receptive field, layer by layer
# ---------------------------------------------
fig, ax = plt.subplots(figsize=(7, 4))
for label, table in [("VGG preset (32 px input)", preset_table),
                     ("VGG16 (224 px input)", vgg16_table)]:
    spatial = table[table["jump"] != "-"]
    ax.plot(range(1, len(spatial) + 1), spatial["receptive_field"].astype(float), "o-",
            label=label)
ax.set_xlabel("layer (convolutions and poolings, in order)")
ax.set_ylabel("receptive field (input pixels)")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "receptive_field_growth.png", dpi=120)
print("saved examples/output/receptive_field_growth.png")
plt.show()
