package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

/** Device selection for training, tested without a GPU (issue 20). */
class TrainingDeviceTest {

    @Test
    void autoTakesTheFirstGpuWhenThereIsOneAndTheCpuOtherwise() {
        assertEquals(Device.gpu(0), TrainingDevice.select("auto", () -> 2));
        assertEquals(Device.cpu(), TrainingDevice.select("auto", () -> 0));
        assertEquals(Device.cpu(), TrainingDevice.select("AUTO", () -> {
            throw new IllegalStateException("no CUDA driver");
        }), "an engine that cannot count GPUs means none");
    }

    @Test
    void anExplicitGpuIsUsedWhenPresentAndFallsBackToTheCpuWhenNot() {
        assertEquals(Device.gpu(0), TrainingDevice.select("gpu", () -> 1));
        assertEquals(Device.gpu(1), TrainingDevice.select("gpu:1", () -> 2));
        assertEquals(Device.cpu(), TrainingDevice.select("gpu:1", () -> 1), "index past the device count");
        assertEquals(Device.cpu(), TrainingDevice.select("gpu", () -> 0), "CPU build of the native library");
        assertEquals(Device.cpu(), TrainingDevice.select("cpu", () -> 4), "cpu is honoured on a GPU host");
    }

    @Test
    void malformedSpecsAreRefusedByTheConfig() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.defaults().withDevice("cuda0"));
        assertTrue(e.getMessage().contains("'cuda0' is not one of auto, cpu, gpu, gpu:N"), e.getMessage());
        assertEquals("auto", TrainConfig.defaults().device());
        assertEquals("gpu:3", TrainConfig.defaults().withDevice("gpu:3").device());
    }

    @Test
    void onThisMachineAutoIsTheCpu() {
        // the build bundles pytorch-native-cpu: the engine sees no GPU, so auto and gpu both train on the CPU
        assertEquals(Device.cpu(), TrainingDevice.select("auto"));
        assertEquals(Device.cpu(), TrainingDevice.select("gpu:0"));
    }
}
