"""The reference module a model.json names (its "architecture": library and name), with random weights, so that
the folder's weights (the reference's state-dict names) load into it as they are."""
import torch.nn as nn

from . import timm_fallback

# Every engine model score.py builds, by the name Spool's catalogue gives it (model.json's "model_name" for a
# classifier, its "architecture" name for a detector: yolov5 by size). CatalogueScoringTests keeps this equal to
# the catalogue and scores every one against the engine.
CLASSIFIERS = {
    # Spool's name: (reference library, reference architecture)
    "mobilenetv2": ("torchvision", "mobilenet_v2"),
    "resnet18": ("torchvision", "resnet18"),
    "resnet34": ("torchvision", "resnet34"),
    "resnet50": ("torchvision", "resnet50"),
    "resnet101": ("torchvision", "resnet101"),
    "resnet152": ("torchvision", "resnet152"),
    "resnest50": ("timm", "resnest50d"),
    "resnest101": ("timm", "resnest101e"),
    "seresnext": ("timm", "seresnext50_32x4d"),
    "vits16r224": ("timm", "vit_small_patch16_224"),
    "vitb16r224": ("torchvision", "vit_b_16"),
    "vitl16r224": ("torchvision", "vit_l_16"),
}
# Spool's name: its meta-architecture (model.json's architecture "family"; folders written before Spool recorded
# it are read by this table).
DETECTORS = dict(
    [("fasterrcnn_resnet%d_fpn" % d, "two_stage_rcnn") for d in (18, 34, 50, 101, 152)]
    + [("fasterrcnn_mobilenet_v3_large_fpn", "two_stage_rcnn"), ("retinanet_resnet50_fpn", "one_stage_dense"),
       ("fcos_resnet50_fpn", "one_stage_dense")]
    + [("yolov5" + size, "yolo") for size in "smlx"]
    + [("maskrcnn_resnet%d_fpn" % d, "two_stage_rcnn") for d in (18, 34, 50, 101, 152)])
ENGINE_MODELS = dict([(name, "classifier") for name in CLASSIFIERS] + list(DETECTORS.items()))


def family(architecture):
    """The meta-architecture of model.json's architecture: classifier, two_stage_rcnn, one_stage_dense or yolo."""
    return architecture.get("family") or ENGINE_MODELS.get(architecture.get("name"))


def classifier(library, name, num_classes, image_size=224):
    """A torchvision or timm classifier."""
    vit = name.startswith("vit")
    if library == "torchvision":
        import torchvision

        kwargs = {"num_classes": num_classes}
        if vit:
            kwargs["image_size"] = image_size
        build = getattr(torchvision.models, name, None)
        if build is None:
            raise ValueError("torchvision %s has no model %r" % (torchvision.__version__, name))
        try:
            return build(weights=None, **kwargs)
        except TypeError:  # torchvision < 0.13
            return build(pretrained=False, **kwargs)
    if library == "timm":
        try:
            import timm
        except ImportError:
            timm = None
        if timm is not None:
            kwargs = {"img_size": image_size} if vit else {}
            return timm.create_model(name, pretrained=False, num_classes=num_classes, **kwargs)
        if name not in timm_fallback.FALLBACKS:
            raise ValueError("%s needs timm (pip install timm)" % name)
        return timm_fallback.FALLBACKS[name](num_classes, image_size)
    raise ValueError("architecture library %r is not one score.py builds (torchvision, timm)" % library)


def detector(name, num_classes, settings, frozen_batch_norm):
    """torchvision's Faster R-CNN and Mask R-CNN (ResNet-18 to 152 FPN), RetinaNet or FCOS (ResNet-50 FPN) as Spool
    trains them:
    `num_classes` without the background; BatchNorm layers frozen when the weights come from a pretrained
    backbone (they then have no batch counters), trainable BatchNorm (in eval mode) otherwise. Or YOLOv5
    (yolov5s/m/l/x, Ultralytics' state-dict names; spool_scoring.yolov5)."""
    if name not in DETECTORS:
        raise ValueError("detector %r is not one score.py builds (this one builds %s); score the model with the "
                         "score.py its Spool wrote" % (name, ", ".join(DETECTORS)))
    if DETECTORS[name] == "yolo":
        from . import yolov5

        return yolov5.build(name, num_classes)
    from torchvision.models import resnet
    from torchvision.models.detection import FCOS, FasterRCNN, MaskRCNN, RetinaNet
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
    from torchvision.ops import misc
    from torchvision.ops.feature_pyramid_network import LastLevelP6P7

    norm = misc.FrozenBatchNorm2d if frozen_batch_norm else nn.BatchNorm2d
    common = dict(min_size=settings["min_size"], max_size=settings["max_size"])
    for prefix, meta in (("fasterrcnn_resnet", FasterRCNN), ("maskrcnn_resnet", MaskRCNN)):
        if name.startswith(prefix) and name.endswith("_fpn"):
            body = getattr(resnet, "resnet" + name[len(prefix):-len("_fpn")])(weights=None, norm_layer=norm)
            backbone = _resnet_fpn_extractor(body, 5)
            return meta(backbone, num_classes=num_classes + 1, box_score_thresh=settings["box_score_thresh"],
                        box_nms_thresh=settings["box_nms_thresh"],
                        box_detections_per_img=settings["box_detections_per_img"], **common)
    if name == "fasterrcnn_mobilenet_v3_large_fpn":
        # torchvision's fasterrcnn_mobilenet_v3_large_fpn: the last two stages, 5 sizes x 3 ratios at each of the
        # three levels, proposals below 0.05 dropped.
        from torchvision.models import mobilenet_v3_large
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection.backbone_utils import _mobilenet_extractor

        backbone = _mobilenet_extractor(mobilenet_v3_large(weights=None, norm_layer=norm), True, 6)
        anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
        return FasterRCNN(backbone, num_classes=num_classes + 1, rpn_anchor_generator=anchors, rpn_score_thresh=0.05,
                          box_score_thresh=settings["box_score_thresh"], box_nms_thresh=settings["box_nms_thresh"],
                          box_detections_per_img=settings["box_detections_per_img"], **common)
    if name == "retinanet_resnet50_fpn":
        body = resnet.resnet50(weights=None, norm_layer=norm)
        backbone = _resnet_fpn_extractor(body, 5, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
        return RetinaNet(backbone, num_classes=num_classes, score_thresh=settings["box_score_thresh"],
                         nms_thresh=settings["box_nms_thresh"], detections_per_img=settings["box_detections_per_img"],
                         **common)
    if name == "fcos_resnet50_fpn":
        body = resnet.resnet50(weights=None, norm_layer=norm)
        backbone = _resnet_fpn_extractor(body, 5, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
        return FCOS(backbone, num_classes=num_classes, score_thresh=settings["box_score_thresh"],
                    nms_thresh=settings["box_nms_thresh"], detections_per_img=settings["box_detections_per_img"],
                    **common)
    raise ValueError("detector %r is not one score.py builds" % name)
