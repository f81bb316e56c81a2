"""The method: VGG-19, the losses, the optimiser loop, the coarse-to-fine schedule and tiles. It knows nothing
of terminals, files or HTTP: it takes images and a StyleConfig and reports progress through a callback."""
